//! Where `get` puts what it received: the body streamed to stdout, to a file (atomically, with a
//! progress bar when stderr is a terminal) or kept for `--json`; the timings; `-w` output.

use crate::output::Failure;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `--json` keeps at most this much of the body (the byte count is always exact).
pub const JSON_BODY_CAP: usize = 16 << 20;

/// Where the body goes.
pub enum Sink {
    Stdout(std::io::Stdout),
    /// A temporary file beside `path`, renamed over it once the body is complete.
    File {
        tmp: tempfile::NamedTempFile,
        path: PathBuf,
        bar: Option<indicatif::ProgressBar>,
    },
    /// An existing device or pipe (`-o /dev/null`, a FIFO), written in place: renaming a temporary
    /// file over it would replace the device node itself.
    Special(std::fs::File, PathBuf),
    /// For `--json`: up to [`JSON_BODY_CAP`] bytes.
    Memory(Vec<u8>),
    Discard,
}

impl Sink {
    /// A file sink for `-o`; the progress bar only when stderr is a terminal (never in pipes).
    pub fn file(path: &Path, total: Option<u64>) -> Result<Sink, Failure> {
        let fail = |e: std::io::Error| Failure::usage(format!("{}: {e}", path.display()));
        if let Ok(m) = std::fs::metadata(path) {
            if m.is_dir() {
                return Err(Failure::usage(format!(
                    "{}: is a directory",
                    path.display()
                )));
            }
            if !m.is_file() {
                let f = std::fs::OpenOptions::new().write(true).open(path);
                return Ok(Sink::Special(f.map_err(fail)?, path.to_path_buf()));
            }
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".https-kit-get-")
            .tempfile_in(dir)
            .map_err(|e| Failure::usage(format!("{}: {e}", dir.display())))?;
        let bar = std::io::stderr().is_terminal().then(|| progress_bar(total));
        Ok(Sink::File {
            tmp,
            path: path.to_path_buf(),
            bar,
        })
    }

    pub fn write(&mut self, chunk: &[u8]) -> Result<(), Failure> {
        match self {
            Sink::Stdout(out) => out
                .write_all(chunk)
                .map_err(|e| Failure::usage(format!("writing to stdout: {e}"))),
            Sink::File { tmp, path, bar } => {
                if let Some(bar) = bar {
                    bar.inc(chunk.len() as u64);
                }
                tmp.write_all(chunk)
                    .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))
            }
            Sink::Special(f, path) => f
                .write_all(chunk)
                .map_err(|e| Failure::usage(format!("{}: {e}", path.display()))),
            Sink::Memory(buf) => {
                let room = JSON_BODY_CAP.saturating_sub(buf.len());
                buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
                Ok(())
            }
            Sink::Discard => Ok(()),
        }
    }

    /// The body is complete: flush stdout, or move the file into place (mode 0644, like curl -o).
    pub fn finish(self) -> Result<Option<Vec<u8>>, Failure> {
        match self {
            Sink::Stdout(mut out) => out
                .flush()
                .map(|_| None)
                .map_err(|e| Failure::usage(format!("writing to stdout: {e}"))),
            Sink::File { tmp, path, bar } => {
                if let Some(bar) = bar {
                    bar.finish_and_clear();
                }
                use std::os::unix::fs::PermissionsExt;
                let fail = |e: std::io::Error| Failure::usage(format!("{}: {e}", path.display()));
                tmp.as_file().sync_all().map_err(fail)?;
                std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
                    .map_err(fail)?;
                tmp.persist(&path).map_err(|e| fail(e.error))?;
                Ok(None)
            }
            Sink::Special(mut f, path) => f
                .flush()
                .map(|_| None)
                .map_err(|e| Failure::usage(format!("{}: {e}", path.display()))),
            Sink::Memory(buf) => Ok(Some(buf)),
            Sink::Discard => Ok(None),
        }
    }
}

fn progress_bar(total: Option<u64>) -> indicatif::ProgressBar {
    let bar = match total {
        Some(n) => indicatif::ProgressBar::new(n).with_style(
            indicatif::ProgressStyle::with_template(
                "{bytes:>10}/{total_bytes} {wide_bar} {binary_bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {bytes} {binary_bytes_per_sec}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        ),
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar
}

/// When each phase of the last request ended (curl's `time_*`), from the start of its hop.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// The whole run started (before the first hop).
    pub run_start: Instant,
    /// This hop started.
    pub start: Instant,
    pub resolved: Instant,
    pub connected: Instant,
    pub tls_done: Instant,
    pub first_byte: Instant,
}

impl Timing {
    fn secs(&self, t: Instant) -> f64 {
        t.duration_since(self.start).as_secs_f64()
    }
    /// Seconds: dns, connect, tls, first_byte (from this hop's start), redirects before it, total.
    pub fn json(&self, done: Instant) -> serde_json::Value {
        serde_json::json!({
            "dns": self.secs(self.resolved),
            "connect": self.secs(self.connected),
            "tls": self.secs(self.tls_done),
            "first_byte": self.secs(self.first_byte),
            "redirects": self.start.duration_since(self.run_start).as_secs_f64(),
            "total": done.duration_since(self.run_start).as_secs_f64(),
        })
    }
}

/// What `-w FORMAT` can name, for the final response.
pub struct WriteOut<'a> {
    pub status: u16,
    pub http_version: &'a str,
    pub url: &'a str,
    pub remote: std::net::SocketAddr,
    pub size: u64,
    pub redirects: usize,
    pub content_type: &'a str,
    pub timing: &'a Timing,
    pub done: Instant,
}

impl WriteOut<'_> {
    /// Expands curl-style `%{name}`, `%%`, `\n`, `\t` and `\\`; unknown names stay as written.
    pub fn expand(&self, format: &str) -> String {
        let mut out = String::new();
        let mut rest = format;
        while let Some(i) = rest.find(['%', '\\']) {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            if let Some(after) = tail.strip_prefix("%{") {
                if let Some(end) = after.find('}') {
                    match self.value(&after[..end]) {
                        Some(v) => out.push_str(&v),
                        None => out.push_str(&tail[..end + 3]),
                    }
                    rest = &after[end + 1..];
                    continue;
                }
            }
            let (piece, skip) = match tail.get(..2) {
                Some("%%") => ("%", 2),
                Some("\\n") => ("\n", 2),
                Some("\\t") => ("\t", 2),
                Some("\\r") => ("\r", 2),
                Some("\\\\") => ("\\", 2),
                _ => (&tail[..1], 1),
            };
            out.push_str(piece);
            rest = &tail[skip..];
        }
        out.push_str(rest);
        out
    }

    fn value(&self, name: &str) -> Option<String> {
        let t = self.timing;
        let secs = |at: Instant| format!("{:.6}", at.duration_since(t.run_start).as_secs_f64());
        Some(match name {
            "http_code" | "response_code" => format!("{:03}", self.status),
            "http_version" => self.http_version.to_string(),
            "url_effective" | "url" => self.url.to_string(),
            "remote_ip" => self.remote.ip().to_string(),
            "remote_port" => self.remote.port().to_string(),
            "size_download" => self.size.to_string(),
            "num_redirects" => self.redirects.to_string(),
            "content_type" => self.content_type.to_string(),
            "time_redirect" => secs(t.start),
            "time_namelookup" => secs(t.resolved),
            "time_connect" => secs(t.connected),
            "time_appconnect" => secs(t.tls_done),
            "time_starttransfer" => secs(t.first_byte),
            "time_total" => secs(self.done),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_out_expands_known_names_and_escapes() {
        let now = Instant::now();
        let t = Timing {
            run_start: now,
            start: now,
            resolved: now,
            connected: now,
            tls_done: now,
            first_byte: now,
        };
        let w = WriteOut {
            status: 204,
            http_version: "1.1",
            url: "https://x/",
            remote: "127.0.0.1:9".parse().unwrap(),
            size: 5,
            redirects: 1,
            content_type: "text/plain",
            timing: &t,
            done: now,
        };
        assert_eq!(
            w.expand("%{http_code} %{size_download}\\n%% %{nope} %{time_total}"),
            "204 5\n% %{nope} 0.000000"
        );
        assert_eq!(w.expand("100%"), "100%");
        assert_eq!(w.expand("%{unclosed"), "%{unclosed");
    }
}
