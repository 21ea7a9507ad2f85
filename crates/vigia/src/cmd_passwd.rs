//! `vigia passwd`: a web UI password, hashed (argon2id). With `--file`, the user is added to
//! (or replaced in) a users file; without, the line to put in the contact's definition is
//! printed (`_VIGIA_PASSWORD HASH`).
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use vigia_daemons::broker::web::auth;

#[derive(clap::Args)]
pub struct PasswdArgs {
    /// The user (a contact's `contact_name`, or any name in a users file).
    pub name: String,
    /// The users file to add the user to (`vigia run` uses DATA/web-users); without it, the
    /// custom variable for the contact's definition is printed.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// In the users file: an administrator (sees and acts on everything).
    #[arg(long, requires = "file")]
    pub admin: bool,
}

/// The password: asked twice without echo on a terminal, else the first line of stdin.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ")?;
        let again = rpassword::prompt_password("Again: ")?;
        anyhow::ensure!(first == again, "the two passwords differ: nothing changed");
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

pub fn run(args: PasswdArgs) -> anyhow::Result<u8> {
    let password = read_password()?;
    anyhow::ensure!(
        password.chars().count() >= 8,
        "a password has at least 8 characters: nothing changed"
    );
    let hash = auth::hash_password(&password)?;
    match &args.file {
        Some(file) => {
            auth::set_user(file, &args.name, &hash, args.admin)?;
            println!(
                "{} {} in {} (the brokers read it at each login)",
                if args.admin { "administrator" } else { "user" },
                args.name,
                file.display()
            );
        }
        None => {
            println!("# in the definition of contact {}:", args.name);
            println!("    _{} {hash}", auth::PASSWORD_VARIABLE);
        }
    }
    Ok(0)
}
