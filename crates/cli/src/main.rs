//! The `https-kit` command: a local CA and the seed's application stage from the shell.
//!
//! One module per command group; each exposes clap `Args`/`Subcommand` types and a `run`
//! returning `Result<(), Failure>`. [`output::Failure`] carries the exit code: 0 ok, 1 refused by
//! policy or a failed check, 2 bad usage or unreadable input (clap's own usage errors exit 2 too).
//!
//! # Internals
//!
//! (The map of the whole workspace is ARCHITECTURE.md; this is the detail for this crate.)
//!
//! `main.rs` holds the clap `Command` enum; each command group is a module with its own `Args` /
//! `Subcommand` types and a `run` returning `Result<(), output::Failure>`:
//!
//! | module | commands |
//! |---|---|
//! | `ca.rs` | `ca init`, `ca intermediate`, `ca sign`; `load_ca` (errors name `ca.crt` / `ca.key` / `chain.crt`) |
//! | `key.rs`, `csr.rs`, `cert.rs`, `inspect.rs` | `key new`, `csr new`, `cert issue`, `inspect` |
//! | `files.rs` | reads with file-naming errors; `FileSet`: all-or-nothing atomic writes (temp file in the same dir + rename), keys 0600, CA dirs 0700, `--force` |
//! | `output.rs` | `Failure { code, message }` and the exit codes (0 ok, 1 refused / check failed, 2 bad usage or input); `--json` printing; the stderr spinner for slow RSA generation (only on a terminal) |
//!
//! | `verify.rs` | `verify`: the https-verify report, human (✓/✗) or `--json` |
//! | `serve.rs` | `serve`: flags → `ServerConfig` (SNI over several pairs, `--client-ca`, tickets / `--ticket-key-file`); the accept loop (a listen queue of 4096; `--max-connections` slots from `slots.rs`), the handshake timeout (or an earlier close when the slot is needed), SIGINT/SIGTERM → stop accepting, graceful close, bounded wait |
//! | `slots.rs` | `--max-connections`: at the limit the connection quiet for the longest (no request in flight: handshaking, between requests, sending headers) is asked to close and the newcomer takes its place at once (at most max/4, at least 16, may be closing beyond the limit); all busy → accepting pauses |
//! | `fair.rs` | the TCP stream under TLS: reads of at most 2 KiB and a yield per 4 KiB, so a peer flooding records without data (KeyUpdate, empty records) cannot hold a worker thread |
//! | `conn.rs` | one HTTP connection (hyper HTTP/1.1 with half-close, or HTTP/2): header-size, stream and PING limits; a watchdog beside it for the header and idle timeouts (`Activity`: requests in flight are counted from dispatch until hyper drops the response body); graceful shutdown |
//! | `site.rs` | what `serve` answers: tower-http `ServeDir` (streaming, Range, conditional GET, HEAD, mime_guess) behind a guard that canonicalizes each path and admits only regular files and directories under the canonical root; `//` collapsed so redirects stay on the site; `--list`; the built-in page |
//! | `small_file.rs` | the fast path: an unconditional GET/HEAD of a file up to 64 KiB is read in the guard's own blocking-pool trip (from the very inode the guard checked), with `ServeDir`'s headers (Range and preconditions always go to `ServeDir`) |
//! | `file_cache.rs` | recently served small files (≤ 512 entries, ≤ 8 MiB with keys): a hit costs one `stat` on the runtime thread and no blocking-pool trip, and is used only while the file's device/inode/size/mtime/ctime are unchanged (else the guard runs again, so a symlink swap out of the root is refused); files changed < 2 s ago are not kept (coarse timestamps); the races are listed in the module notes |
//! | `body.rs` | the boxed response body type every `serve` handler returns |
//! | `access_log.rs` | the per-request line (text or `--log-json`), with the SNI name and the verified client identity (`Peer`, also put in each request's extensions) |
//! | `get.rs`, `get_out.rs`, `target.rs`, `http.rs` | `get`: flags → request (`-H -X -d`), hops for `-L` (each a new connection verified for its host; the shared `ClientConfig` session store resumes), the body streamed to stdout / `-o` (atomic, progress bar on a terminal) / `--json`, timings and `-w`; URL parsing (`url`) and `--resolve`; hyper's one-request client |
//! | `get_session.rs`, `get_early.rs` | `get --session FILE` (a ticket kept between processes: `https_handshake::SavedSession`'s versioned text, 0600, atomic; an unusable file is one warning line and a full handshake) and `get --early-data` (our own HTTP/1.1 head for a GET/HEAD as 0-RTT via `TlsConnector::connect_with_early_data`, hyper reading the response while its copy of the head is dropped; after a 0.5-RTT answer the connection is read on briefly for the tickets that follow it) |
//! | `serve_early.rs` | `serve --early-data`: a GET/HEAD without a body that came whole in 0-RTT data goes to hyper at once and is answered before the client's Finished (0.5-RTT); anything else, and whatever followed it in the early data, only after the handshake (`Gate`) |
//! | `inspect_server.rs` | `inspect https://…`: the chain a server sends and the trust verdict |
//! | `acme.rs` | `acme serve` (https-acme on a CA dir; `--db`, `--http-01-port`, `--tls-alpn-01-port`, `--resolve`, `--hostname`), `cert request --acme` (its client; `cert.rs` only routes to it) and `serve --acme` (`auto_certificate`: a resolver whose certificate a background task renews at 2/3 of its lifetime, with bounded backoff on failure) |
//! | `trust.rs` | `trust install/uninstall`: certutil on `~/.pki/nssdb`, `/usr/local/share/ca-certificates` + update-ca-certificates |
//! | `tls.rs` | handshake errors → one line naming the alert; the trace and negotiated parameters as JSON; `NameResolver` (SNI by each certificate's DNS names, `*.` wildcards, first pair default); the peer's identity |
//! | `ticket_key.rs` | `ticket-key new`, `ticket-key rotate`: the shared session-ticket key file (`https_handshake::TicketKeyFile`); tested in `tests/cli_ticket_key.rs`, SSLKEYLOGFILE in `tests/cli_keylog.rs` |
//!
//! New commands add a variant to `Command` and a module. The CLI only uses the layers' public APIs
//! (`https_handshake::{ServerConfig, ClientConfig, TlsAcceptor, TlsConnector}`, `https_verify`, `https_pki`):
//! it knows nothing of records or handshake messages.
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
mod forward;
mod get;
mod get_early;
mod get_out;
mod get_session;
mod http;
mod inspect;
mod inspect_server;
mod key;
mod output;
mod serve;
mod serve_early;
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
