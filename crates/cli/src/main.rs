//! The `https-kit` command: a local CA and the seed's application stage from the shell.
//!
//! One module per command group; each exposes clap `Args`/`Subcommand` types and a `run`
//! returning `Result<(), Failure>`. [`output::Failure`] carries the exit code: 0 ok, 1 refused by
//! policy or a failed check, 2 bad usage or unreadable input (clap's own usage errors exit 2 too).
#![forbid(unsafe_code)]

mod access_log;
mod acme;
mod body;
mod ca;
mod cert;
mod conn;
mod csr;
mod fair;
mod file_cache;
mod files;
mod get;
mod get_out;
mod http;
mod inspect;
mod inspect_server;
mod key;
mod output;
mod serve;
mod site;
mod slots;
mod small_file;
mod target;
mod ticket_key;
mod tls;
mod trust;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

const ABOUT: &str = "HTTPS from its parts: a local CA, keys, CSRs and certificates";

const LONG_ABOUT: &str = "\
HTTPS from its parts. The seed's application stage, one command per step:

  1. https-kit key new --out site.key --pub site.pub          the site's key pair
  2. https-kit csr new --key site.key --cn www.example.test \\
         --san DNS:www.example.test --out site.csr            the signing request
  3. https-kit ca init --dir ./ca                              a CA (once)
     https-kit ca sign site.csr --dir ./ca --out site.crt     the CA checks and signs
  4. https-kit inspect site.crt                                what the administrator gets

Or all at once, like mkcert:

  https-kit ca init && https-kit cert issue localhost 127.0.0.1

Exit codes: 0 ok, 1 refused by policy / check failed, 2 bad usage or unreadable input.";

#[derive(Parser, Debug)]
#[command(name = "https-kit", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Certificate authority: init, intermediate, sign
    #[command(subcommand)]
    Ca(ca::CaCommand),
    /// Private keys
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Certificate signing requests
    #[command(subcommand)]
    Csr(csr::CsrCommand),
    /// Issue a key and certificate in one step (mkcert-like)
    #[command(subcommand)]
    Cert(cert::CertCommand),
    /// Show what a certificate, CSR or key file says
    Inspect(inspect::InspectArgs),
    /// Verify a certificate chain step by step (dates, signatures, names; exit 1 if invalid)
    Verify(verify::VerifyArgs),
    /// Serve files over HTTPS (TLS 1.3 by this project's own handshake and record layer)
    Serve(serve::ServeArgs),
    /// Fetch an https:// URL with this project's TLS 1.3 client
    Get(get::GetArgs),
    /// Trust the local CA in browsers (NSS) and the system store, like mkcert -install
    #[command(subcommand)]
    Trust(trust::TrustCommand),
    /// ACME (RFC 8555) server for the local CA: certbot, lego... prove control of names
    #[command(subcommand)]
    Acme(acme::AcmeCommand),
    /// Session-ticket key file shared by `serve` processes: new, rotate
    #[command(subcommand)]
    TicketKey(ticket_key::TicketKeyCommand),
}

fn run(cli: Cli) -> Result<(), output::Failure> {
    match cli.command {
        Command::Ca(c) => ca::run(c),
        Command::Key(c) => key::run(c),
        Command::Csr(c) => csr::run(c),
        Command::Cert(c) => cert::run(c),
        Command::Inspect(a) => inspect::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Get(a) => get::run(a),
        Command::Trust(c) => trust::run(c),
        Command::Acme(c) => acme::run(c),
        Command::TicketKey(c) => ticket_key::run(c),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::from(output::EXIT_OK),
        Err(failure) => {
            eprintln!("https-kit: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
