//! Timeperiods: their day and date rules, and `exclude` lists checked for loops.
use super::{Builder, Resolved};
use crate::kind::ObjectKind;
use crate::timeperiod::{Timeperiod, Timeperiods};
use crate::values::Reader;

impl<'r, 'a> Builder<'r, 'a> {
    pub(super) fn timeperiods(&mut self, known: &mut Resolved<'r, 'a>) -> Timeperiods {
        let objs = self.real(ObjectKind::Timeperiod);
        let (tp_names, tp_objs) = self.names(ObjectKind::Timeperiod, &objs);
        let mut periods = Vec::with_capacity(tp_objs.len());
        for obj in &tp_objs {
            let r = Reader::new(obj);
            let mut tp = Timeperiod::new(r.str("timeperiod_name"));
            tp.alias = r.string("alias");
            for p in obj.props() {
                if Timeperiod::is_rule_key(p.key) {
                    let line = format!("{} {}", p.key, p.text());
                    if let Err(msg) = tp.add_rule(&line) {
                        let loc = self.loc(p.file, p.line);
                        self.error_at(loc, msg);
                    }
                }
            }
            tp.excludes = self
                .refs(obj, "exclude", &tp_names, "timeperiod")
                .into_iter()
                .map(|i| i as usize)
                .collect();
            periods.push(tp);
        }
        self.check_loops(
            &periods
                .iter()
                .map(|p| p.excludes.iter().map(|&i| i as u32).collect())
                .collect::<Vec<_>>(),
            &tp_objs,
            "timeperiod exclude",
            "timeperiod_name",
        );
        known.timeperiod_names = tp_names;
        Timeperiods { periods }
    }
}
