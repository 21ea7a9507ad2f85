//! `vigia certs`: a small certificate authority for the daemons' TLS, so that nobody needs an
//! openssl recipe. `init DIR` makes the CA (`ca.pem`, `ca-key.pem`); `issue NAME` a
//! certificate for one daemon (`NAME.pem`, `NAME-key.pem`), good as a server and as a client
//! (mutual TLS), naming NAME, localhost, 127.0.0.1 and every `--host`.
use std::path::{Path, PathBuf};

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

#[derive(clap::Args)]
pub struct CertsArgs {
    #[command(subcommand)]
    pub command: CertsCommand,
}

#[derive(clap::Subcommand)]
pub enum CertsCommand {
    /// Make a certificate authority in DIR: ca.pem (give it to every daemon as `ca_cert`) and
    /// ca-key.pem (keep it there, mode 600).
    Init {
        #[arg(default_value = "vigia-certs")]
        dir: PathBuf,
    },
    /// Issue a daemon's certificate, signed by the CA in --dir: NAME.pem and NAME-key.pem.
    Issue {
        /// The daemon's name (also written in the certificate).
        name: String,
        /// The CA's folder (`vigia certs init`).
        #[arg(long, default_value = "vigia-certs")]
        dir: PathBuf,
        /// An address or DNS name the daemon is reached at (repeat as needed).
        #[arg(long = "host")]
        hosts: Vec<String>,
        /// Years the certificate is valid.
        #[arg(long, default_value_t = 5)]
        years: i16,
    },
}

const CA_SUBJECT: &str = "Vigia CA";

pub fn run(args: CertsArgs) -> anyhow::Result<u8> {
    match args.command {
        CertsCommand::Init { dir } => init(&dir),
        CertsCommand::Issue {
            name,
            dir,
            hosts,
            years,
        } => issue(&dir, &name, &hosts, years),
    }?;
    Ok(0)
}

/// The validity: from yesterday (clocks differ) for `years`.
fn validity(params: &mut CertificateParams, years: i16) -> anyhow::Result<()> {
    let today = jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::now()).date();
    let from = today.yesterday().context("the date")?;
    let to = today
        .checked_add(jiff::Span::new().years(years))
        .context("the end date")?;
    params.not_before = rcgen::date_time_ymd(from.year().into(), from.month() as u8, from.day() as u8);
    params.not_after = rcgen::date_time_ymd(to.year().into(), to.month() as u8, to.day() as u8);
    Ok(())
}

/// The CA's parameters: the same for `init` and every `issue` (the issuer is named and
/// identified by its key, so the certificate made again here signs as the original).
fn ca_params() -> anyhow::Result<CertificateParams> {
    let mut params = CertificateParams::new(Vec::<String>::new()).context("CA parameters")?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_SUBJECT);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(params)
}

/// Writes `text` to `path`, refusing to replace a file; keys readable by their owner only.
fn write_new(path: &Path, text: &str, private: bool) -> anyhow::Result<()> {
    vigia_daemons::durable::create_new(path, text.as_bytes(), if private { 0o600 } else { 0o644 })
        .with_context(|| format!("{} must not exist yet", path.display()))
}

fn init(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let key = KeyPair::generate().context("generating the CA key")?;
    let mut params = ca_params()?;
    validity(&mut params, 20)?;
    let cert = params.self_signed(&key).context("signing the CA certificate")?;
    write_new(&dir.join("ca-key.pem"), &key.serialize_pem(), true)?;
    write_new(&dir.join("ca.pem"), &cert.pem(), false)?;
    println!(
        "CA made: {} (give it to every daemon: ca_cert), {} (keep it here)",
        dir.join("ca.pem").display(),
        dir.join("ca-key.pem").display()
    );
    Ok(())
}

fn issue(dir: &Path, name: &str, hosts: &[String], years: i16) -> anyhow::Result<()> {
    anyhow::ensure!(
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
        "a daemon name of letters, digits, '-', '_' and '.' only, not '{name}'"
    );
    let ca_key_path = dir.join("ca-key.pem");
    let ca_key = KeyPair::from_pem(
        &std::fs::read_to_string(&ca_key_path)
            .with_context(|| format!("reading {} (run `vigia certs init` first)", ca_key_path.display()))?,
    )
    .with_context(|| format!("{} is not a PEM key", ca_key_path.display()))?;
    let mut ca = ca_params()?;
    validity(&mut ca, 20)?;
    let ca_cert = ca.self_signed(&ca_key).context("the CA certificate")?;
    let mut names: Vec<String> = vec![name.to_string(), "localhost".into(), "127.0.0.1".into()];
    names.extend(hosts.iter().cloned());
    names.dedup();
    let mut params = CertificateParams::new(names.clone()).context("the certificate's names")?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    validity(&mut params, years)?;
    let key = KeyPair::generate().context("generating the key")?;
    let cert = params
        .signed_by(&key, &ca_cert, &ca_key)
        .context("signing the certificate")?;
    let cert_path = dir.join(format!("{name}.pem"));
    let key_path = dir.join(format!("{name}-key.pem"));
    write_new(&key_path, &key.serialize_pem(), true)?;
    write_new(&cert_path, &cert.pem(), false)?;
    println!(
        "{} and {} for {} (server_cert, server_key)",
        cert_path.display(),
        key_path.display(),
        names.join(", ")
    );
    Ok(())
}
