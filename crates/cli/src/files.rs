//! Files: read inputs with errors naming the file; write outputs atomically (temp file in the
//! same directory, then rename), keys with mode 0600, CA directories 0700, never overwriting
//! without `--force`.
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::output::Failure;

/// Mode for private keys.
pub const KEY_MODE: u32 = 0o600;
/// Mode for certificates, CSRs and public keys.
pub const PUBLIC_MODE: u32 = 0o644;
/// Mode for a CA directory.
pub const CA_DIR_MODE: u32 = 0o700;

/// Read a text input file; failure names the file (exit 2).
pub fn read_text(path: &Path) -> Result<String, Failure> {
    let bytes = read_bytes(path)?;
    String::from_utf8(bytes)
        .map_err(|_| Failure::usage(format!("{}: not PEM text (binary data)", path.display())))
}

/// Read an input file as bytes; failure names the file (exit 2).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, Failure> {
    fs::read(path).map_err(|e| {
        Failure::usage(format!(
            "{}: cannot read: {}",
            path.display(),
            io_reason(&e)
        ))
    })
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Create `dir` (and parents) if needed; a newly created leaf directory gets `mode`.
pub fn ensure_dir(dir: &Path, mode: u32) -> Result<(), Failure> {
    if dir.is_dir() {
        warn_if_shared(dir);
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|e| {
        Failure::usage(format!(
            "{}: cannot create directory: {}",
            dir.display(),
            io_reason(&e)
        ))
    })?;
    set_mode(dir, mode)
        .map_err(|e| Failure::usage(format!("{}: cannot set permissions: {e}", dir.display())))
}

/// An existing CA directory readable by others is the user's choice; say so, do not change it.
fn warn_if_shared(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = fs::metadata(dir) {
            if m.permissions().mode() & 0o077 != 0 {
                eprintln!(
                    "https-kit: note: {} is accessible to other users (mode {:o}); consider chmod 700",
                    dir.display(),
                    m.permissions().mode() & 0o777
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// A set of files written together: all or nothing.
///
/// Every target is checked before anything is written (so a refused overwrite leaves no trace),
/// each file is written to a temporary name in its own directory and renamed into place.
pub struct FileSet {
    force: bool,
    // Zeroizing: some of these bytes are private keys.
    files: Vec<(PathBuf, zeroize::Zeroizing<Vec<u8>>, u32)>,
}

impl FileSet {
    /// An empty set; `force` allows replacing existing files.
    pub fn new(force: bool) -> Self {
        FileSet {
            force,
            files: Vec::new(),
        }
    }

    /// Queue `bytes` for `path` with permission `mode`.
    pub fn add(&mut self, path: &Path, bytes: impl Into<Vec<u8>>, mode: u32) -> &mut Self {
        self.files.push((
            path.to_path_buf(),
            zeroize::Zeroizing::new(bytes.into()),
            mode,
        ));
        self
    }

    /// Write everything, or nothing.
    pub fn commit(self) -> Result<(), Failure> {
        for (path, _, _) in &self.files {
            if path.exists() && !self.force {
                return Err(Failure::usage(format!(
                    "{}: already exists; nothing was written (use --force to replace it)",
                    path.display()
                )));
            }
            // A rename over a device, pipe or socket would replace it (as root: /dev/null itself).
            if let Some(what) = fs::metadata(path).ok().and_then(|m| not_regular(&m)) {
                return Err(Failure::usage(format!(
                    "{}: {what}; nothing was written",
                    path.display()
                )));
            }
        }
        for (path, _, _) in &self.files {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent).map_err(|e| {
                    Failure::usage(format!(
                        "{}: cannot create directory: {}",
                        parent.display(),
                        io_reason(&e)
                    ))
                })?;
            }
        }
        let mut temps: Vec<(PathBuf, &Path)> = Vec::new();
        for (path, bytes, mode) in &self.files {
            match write_temp(path, bytes, *mode) {
                Ok(tmp) => temps.push((tmp, path)),
                Err(e) => {
                    cleanup(&temps);
                    return Err(Failure::usage(format!(
                        "{}: cannot write: {e}",
                        path.display()
                    )));
                }
            }
        }
        for (i, (tmp, path)) in temps.iter().enumerate() {
            if let Err(e) = fs::rename(tmp, path) {
                cleanup(temps.get(i..).unwrap_or(&[]));
                return Err(Failure::usage(format!(
                    "{}: cannot write: {e}",
                    path.display()
                )));
            }
        }
        Ok(())
    }
}

/// Why an existing path is no place for an atomic write (temp file + rename), if it is not.
pub fn not_regular(m: &fs::Metadata) -> Option<&'static str> {
    if m.is_file() {
        None
    } else if m.is_dir() {
        Some("is a directory")
    } else {
        Some("is not a regular file (a device, pipe or socket)")
    }
}

fn cleanup(temps: &[(PathBuf, &Path)]) {
    for (tmp, _) in temps {
        let _ = fs::remove_file(tmp);
    }
}

/// Write `bytes` to a fresh hidden file next to `path`, created with `mode` and synced.
fn write_temp(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<PathBuf> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", unique_suffix()));
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // The key is private from the first byte written: no window with default permissions.
        opts.mode(mode);
    }
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        // The umask may have narrowed the mode; set it exactly.
        set_mode(&tmp, mode)
    })();
    match result {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// A name suffix unique enough for a temp file created with `create_new` (time, pid, counter).
fn unique_suffix() -> String {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}-{t:x}-{n}", std::process::id())
}

/// The default CA directory: `$HTTPS_KIT_CA_DIR` (handled by clap), else the platform data dir.
pub fn default_ca_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("https-kit");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    if cfg!(target_os = "macos") {
        home.join("Library/Application Support/https-kit")
    } else {
        home.join(".local/share/https-kit")
    }
}
