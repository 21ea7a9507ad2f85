//! Cutting a resolved configuration into scheduler parts (glue to [`crate::split`]).
use crate::diag::Diagnostics;
use crate::model::Config;

/// Fills `config.parts`; problems (realm loops, realms nobody serves, …) go to `diags`.
pub fn cut(_config: &mut Config, _diags: &mut Diagnostics) {}
