//! External commands applied to the engine's states (parsing is [`crate::external`]).
use crate::engine::Engine;

impl Engine {
    /// Applies one external command line (`[epoch] NAME;args`).
    pub fn command(&mut self, line: &str) -> Result<(), String> {
        Err(format!("external commands are not wired yet: {line}"))
    }
}
