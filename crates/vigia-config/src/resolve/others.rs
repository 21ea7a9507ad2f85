//! Object types the engine does not interpret yet (modulations, modules, ext-info): kept whole,
//! their names checked.
use super::{at_of, Builder, Resolved};
use crate::kind::ObjectKind;
use crate::model::OtherObject;

impl<'r, 'a> Builder<'r, 'a> {
    /// Types the engine does not interpret yet, kept whole and name-checked; the timeperiods
    /// and commands modulations name must exist (Alignak refuses them otherwise).
    pub(super) fn others(&mut self, known: &mut Resolved<'r, 'a>) -> Vec<OtherObject> {
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
                for key in ["modulation_period", "check_period"] {
                    self.one_ref(obj, key, &known.timeperiod_names, "timeperiod");
                }
                if kind == ObjectKind::Checkmodulation {
                    if let Some(call) = obj.value("check_command") {
                        self.command_call(call, at_of(obj, "check_command"), &mut known.commands);
                    }
                }
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

#[cfg(test)]
mod tests {
    use super::super::tests::errors;

    #[test]
    fn modulations_name_existing_periods_and_commands() {
        let errs = errors(
            "define resultmodulation {\n resultmodulation_name r\n exit_codes_match 2\n exit_code_modulation 1\n modulation_period nosuch\n}\n\
             define checkmodulation {\n checkmodulation_name c\n check_command nocmd\n check_period 24x7\n}\n",
        );
        assert!(
            errs.iter().any(|e| e.contains("unknown timeperiod 'nosuch'")),
            "{errs:?}"
        );
        assert!(errs.iter().any(|e| e.contains("unknown command 'nocmd'")), "{errs:?}");
    }
}
