//! Object types the engine does not interpret yet (modulations, modules, ext-info): kept whole,
//! their names checked.
use super::Builder;
use crate::kind::ObjectKind;
use crate::model::OtherObject;

impl<'r, 'a> Builder<'r, 'a> {
    /// Types the engine does not interpret yet, kept whole and name-checked.
    pub(super) fn others(&mut self) -> Vec<OtherObject> {
        let kinds = [
            ObjectKind::Hostextinfo,
            ObjectKind::Serviceextinfo,
            ObjectKind::Businessimpactmodulation,
            ObjectKind::Resultmodulation,
            ObjectKind::Checkmodulation,
            ObjectKind::Macromodulation,
            ObjectKind::Module,
        ];
        let mut out = Vec::new();
        for kind in kinds {
            let objs = self.real(kind);
            let kept = if kind.name_key().is_some() {
                self.names(kind, &objs).1
            } else {
                objs
            };
            for obj in kept {
                let name = kind.name_key().and_then(|k| obj.value(k)).unwrap_or("").to_string();
                out.push(OtherObject {
                    kind,
                    name,
                    props: obj.props().map(|p| (p.key.to_string(), p.text().to_string())).collect(),
                    location: self.obj_loc(obj),
                });
            }
        }
        out
    }
}
