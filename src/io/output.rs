//! Where results go: a file that appears only when complete (written beside its final path,
//! synced, renamed into place, and the directory synced), or standard output.
//!
//! What `-o` names is looked at before it is written: a symlink is followed, so the file it
//! points to is replaced and the link kept; a device or FIFO (`/dev/null`, a named pipe) is
//! written through, never renamed over. Every temporary file or directory carries the process
//! id in its name (`.leadscore-<pid>-XXXXXX.tmp`) and is recorded: a signal that ends the run
//! (SIGINT, SIGTERM, SIGHUP) removes this run's, and the next write into a directory removes
//! those of processes that no longer exist (a SIGKILL leaves them; a running writer's are left
//! alone).

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where output goes: a file that appears only when complete, or stdout.
pub enum Output {
    File {
        temp: BufWriter<Writeback>,
        path: PathBuf,
    },
    Stdout(BufWriter<io::Stdout>),
}

impl Output {
    /// `None` means stdout.
    pub fn create(path: Option<&Path>) -> Result<Output> {
        match path {
            None => Ok(Output::Stdout(BufWriter::with_capacity(
                256 * 1024,
                io::stdout(),
            ))),
            Some(path) => {
                let temp = temp_beside(path)?;
                // Copied through to a device or FIFO at the end, the temporary file is never
                // renamed into place: nothing to make durable.
                let renamed = matches!(resolve(path), Target::File(_));
                Ok(Output::File {
                    temp: BufWriter::with_capacity(256 * 1024, Writeback::new(temp, renamed)),
                    path: path.to_path_buf(),
                })
            }
        }
    }

    pub fn name(&self) -> String {
        match self {
            Output::File { path, .. } => path.display().to_string(),
            Output::Stdout(_) => "standard output".into(),
        }
    }

    /// Flushes and, for a file, renames the finished temporary file into place.
    pub fn commit(self) -> Result<()> {
        match self {
            Output::Stdout(mut w) => w.flush().map_err(|e| Error::write("standard output", e)),
            Output::File { temp, path } => {
                let temp = temp
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .and_then(Writeback::finish)
                    .map_err(|e| Error::write(path.display(), e))?;
                persist(temp, &path)
            }
        }
    }
}

/// The temporary file, synced piece by piece while the rest is still being written: each time
/// another 16 MiB is written and no sync is under way, a thread of its own syncs the data
/// written so far (`sync_data`). The sync before the rename then has only the tail left.
///
/// On a virtual machine's disk, a sync's cost is mostly the device putting its cache on stable
/// storage, however early the kernel started writing: asking for writeback ahead
/// (`sync_file_range`, this type's first version) left a 157 MB output's sync at 0.21–0.23 s.
/// Synced as it grows, the final sync takes a few milliseconds and the rest happens while the
/// workers score.
pub struct Writeback {
    file: tempfile::NamedTempFile,
    /// The same open file, for the syncing thread; none when nothing is synced.
    shared: Option<std::sync::Arc<std::fs::File>>,
    written: u64,
    synced_at: u64,
    /// The sync under way, if any.
    syncing: Option<std::thread::JoinHandle<io::Result<()>>>,
}

/// Bytes written between syncs.
const SYNC_EVERY_BYTES: u64 = 16 << 20;

impl Writeback {
    /// With `sync` false (a file only copied elsewhere at the end), nothing is synced.
    fn new(file: tempfile::NamedTempFile, sync: bool) -> Writeback {
        Writeback {
            shared: sync
                .then(|| file.as_file().try_clone().ok().map(std::sync::Arc::new))
                .flatten(),
            file,
            written: 0,
            synced_at: 0,
            syncing: None,
        }
    }

    /// Starts syncing what is written so far, unless a sync is still under way.
    fn sync_behind(&mut self) -> io::Result<()> {
        if self.syncing.as_ref().is_some_and(|s| !s.is_finished()) {
            return Ok(());
        }
        self.wait()?;
        if let Some(file) = &self.shared {
            let file = std::sync::Arc::clone(file);
            // A thread that cannot be started leaves the work to the final sync.
            self.syncing = std::thread::Builder::new()
                .name("leadscore-sync".into())
                .spawn(move || file.sync_data())
                .ok();
        }
        self.synced_at = self.written;
        Ok(())
    }

    /// Waits for the sync under way. Its error is returned here, not left for the final sync:
    /// the kernel reports a failed write back once per open file, and this sync shares the
    /// file with the final one, so the final one would not see it again.
    fn wait(&mut self) -> io::Result<()> {
        match self.syncing.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the syncing thread panicked")),
            None => Ok(()),
        }
    }

    /// The file, once every sync started has ended well.
    fn finish(mut self) -> io::Result<tempfile::NamedTempFile> {
        self.wait()?;
        Ok(self.file)
    }
}

impl Write for Writeback {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.synced_at >= SYNC_EVERY_BYTES {
            self.sync_behind()?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::File { temp, .. } => temp.write(buf),
            Output::Stdout(w) => w.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::File { temp, .. } => temp.write_all(buf),
            Output::Stdout(w) => w.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::File { temp, .. } => temp.flush(),
            Output::Stdout(w) => w.flush(),
        }
    }
}

/// How the name of every temporary file written beside its target starts.
pub const TEMP_PREFIX: &str = ".leadscore-";

/// This process's temporary files and directories, removed by [`remove_temporaries`] when a
/// signal ends the run. Entries stay after their file is renamed into place: removing a name
/// that is gone does nothing, and no other process makes names with this process's id.
static TEMPORARIES: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Makes a temporary file or directory with `make` and records it (at `path_of` what `make`
/// returned) for [`remove_temporaries`], as one step: a signal's cleanup either comes first,
/// and then nothing is made, or finds it. Recorded after it was made, a signal arriving in
/// between left it behind; recorded before, a cleanup in between found nothing yet and the
/// file appeared after it. Both happened on a loaded machine. `make` must not make another.
pub fn make_recorded<T>(
    make: impl FnOnce() -> io::Result<T>,
    path_of: impl FnOnce(&T) -> PathBuf,
) -> io::Result<T> {
    let mut temporaries = TEMPORARIES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let made = make()?;
    temporaries.push(path_of(&made));
    Ok(made)
}

/// Runs `put`, the rename that puts a finished temporary in place, with the list of temporaries
/// locked. A signal's cleanup removes a directory entry by entry; a rename of that directory
/// while it ran published what was left of it (an empty version `v0019`, or one holding only
/// its report, which every later `models list` refused). Under the lock the cleanup either
/// comes first, keeps the lock, and the rename never happens, or finds the name gone.
/// `put` must not make a temporary ([`make_recorded`] would wait for this lock).
pub fn put_in_place<T>(put: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
    let _temporaries = TEMPORARIES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    put()
}

/// Removes every temporary file and directory this process made that still exists. For the
/// signal handler: the run is ending, so none of them will be finished. The list stays locked
/// until the process has ended, so no other thread makes a temporary after the cleanup
/// ([`make_recorded`] waits for the lock, for ever).
pub fn remove_temporaries() {
    let temporaries = TEMPORARIES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let paths = temporaries.clone();
    std::mem::forget(temporaries);
    for p in paths {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => {
                // Another thread of this run may still be writing into it (training copies
                // the history into its staging directory while the models fit): a file it
                // made after the listing fails the last removal, so list and remove again.
                // It makes at most a file or two, so a few rounds see the directory gone.
                for _ in 0..100 {
                    match std::fs::remove_dir_all(&p) {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => continue,
                        _ => break,
                    }
                }
            }
            Ok(_) => {
                let _ = std::fs::remove_file(&p);
            }
            Err(_) => {}
        }
    }
}

/// Starts a thread that, on SIGINT, SIGTERM or SIGHUP, removes this run's temporary files and
/// then ends the process as the signal would have (so a shell sees 130 for Ctrl-C).
#[cfg(unix)]
pub fn remove_temporaries_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            remove_temporaries();
            let _ = signal_hook::low_level::emulate_default_handler(signal);
            std::process::exit(128 + signal);
        }
    });
}

#[cfg(not(unix))]
pub fn remove_temporaries_on_signals() {}

/// The prefix of this process's temporary names: `.leadscore-<pid>-`.
fn own_prefix(prefix: &str) -> String {
    format!("{prefix}{}-", std::process::id())
}

/// Removes temporary files and directories in `dir` that processes which no longer exist left
/// there (killed before they could clean up). Names without a process id (older versions) and
/// those of running processes are left alone.
pub fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Some(pid) = stale_pid(&name) else {
            continue;
        };
        if pid == std::process::id() || process_exists(pid) {
            continue;
        }
        let path = entry.path();
        let _ = match entry.file_type() {
            Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
    }
}

/// The process id in a temporary name `.leadscore-<pid>-XXXXXX...`, or in a replacement's
/// `.<file>.leadscore-<pid>-XXXXXX.tmp`.
fn stale_pid(name: &str) -> Option<u32> {
    let at = name.find(TEMP_PREFIX)?;
    if at != 0 && !name.starts_with('.') {
        return None;
    }
    let rest = &name[at + TEMP_PREFIX.len()..];
    let (pid, _) = rest.split_once('-')?;
    pid.parse().ok()
}

#[cfg(target_os = "linux")]
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return true;
    };
    // SAFETY: signal 0 only asks whether the process exists; nothing is sent.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(target_os = "linux"))]
fn process_exists(_pid: u32) -> bool {
    // Without a way to ask, assume it runs: never remove another writer's file.
    true
}

/// What a path to write resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A regular file (or none yet) at this path: written beside and renamed into place.
    File(PathBuf),
    /// A device or FIFO: written through, since renaming over it would replace the device.
    Device(PathBuf),
}

/// Follows `path` through any symlinks (a dangling one to where it points) and says whether
/// it ends at a device or FIFO.
pub fn resolve(path: &Path) -> Target {
    let mut at = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => match std::fs::read_link(&at) {
                Ok(to) => {
                    at = match at.parent() {
                        Some(parent) if to.is_relative() => parent.join(to),
                        _ => to,
                    };
                }
                Err(_) => break,
            },
            Ok(m) if !m.is_file() && !m.is_dir() => return Target::Device(at),
            _ => break,
        }
    }
    Target::File(at)
}

/// A temporary file in the same directory as `path`, so the final rename is atomic.
pub fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile> {
    temp_beside_with_suffix(path, ".tmp")
}

/// `temp_beside` with the temporary file's name ending in `suffix`, for writers that pick a
/// format from the file name (the PNG encoder wants `.png`).
pub fn temp_beside_with_suffix(path: &Path, suffix: &str) -> Result<tempfile::NamedTempFile> {
    temp_named(path, TEMP_PREFIX, suffix)
}

fn temp_named(path: &Path, prefix: &str, suffix: &str) -> Result<tempfile::NamedTempFile> {
    let (path, system_temp) = match resolve(path) {
        Target::File(p) => (p, None),
        // Through to a device at the end: no rename, so the temporary file may be anywhere.
        Target::Device(p) => (p, Some(std::env::temp_dir())),
    };
    let path = path.as_path();
    let dir = match (&system_temp, path.parent()) {
        (Some(t), _) => t.as_path(),
        (None, Some(p)) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    remove_stale_temporaries(dir);
    let mut builder = tempfile::Builder::new();
    let prefix = own_prefix(prefix);
    builder.prefix(&prefix).suffix(suffix);
    // Made and recorded in one step (`make_recorded`), so a signal finds it. `create_new` is
    // tempfile's own exclusive creation: a name that exists is an `AlreadyExists`, and
    // tempfile tries another.
    let made = builder.make_in(dir, |path| {
        let mut open = std::fs::OpenOptions::new();
        open.read(true).write(true).create_new(true);
        // A finished file is for sharing (with the CRM, the team); tempfile's default is 0600.
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            open.mode(0o644);
        }
        make_recorded(|| open.open(path), |_| path.to_path_buf())
    });
    made.map_err(|e| {
        // tempfile names its own random file in the message; the user named `path`.
        let err = match e.kind() {
            // Only when it is so: /proc exists, and refuses new files with the same error.
            std::io::ErrorKind::NotFound if !dir.exists() => std::io::Error::new(
                e.kind(),
                format!("the directory {} does not exist", dir.display()),
            ),
            std::io::ErrorKind::NotFound => std::io::Error::new(
                e.kind(),
                format!("no file can be made in {}: {e}", dir.display()),
            ),
            std::io::ErrorKind::PermissionDenied => {
                std::io::Error::new(e.kind(), format!("permission denied in {}", dir.display()))
            }
            _ => e,
        };
        Error::write(path.display(), err)
    })
}

/// Syncs and renames a finished temporary file into place, then syncs the directory so the
/// rename itself survives a crash.
pub fn persist(temp: tempfile::NamedTempFile, path: &Path) -> Result<()> {
    let shown = path.display();
    let target = match resolve(path) {
        Target::File(target) => target,
        Target::Device(device) => {
            // Copied through; the temporary file goes when `temp` is dropped.
            let mut from = temp.reopen().map_err(|e| Error::write(&shown, e))?;
            let mut to = std::fs::OpenOptions::new()
                .write(true)
                .open(&device)
                .map_err(|e| Error::write(&shown, e))?;
            io::copy(&mut from, &mut to)
                .and_then(|_| to.flush())
                .map_err(|e| Error::write(&shown, e))?;
            return Ok(());
        }
    };
    temp.as_file()
        .sync_all()
        .map_err(|e| Error::write(&shown, e))?;
    temp.persist(&target)
        .map_err(|e| Error::write(&shown, e.error))?;
    sync_dir(&target)
}

/// Syncs the directory holding `path`. Some filesystems cannot sync a directory and say so
/// with EINVAL (or "unsupported"); the file itself is synced by then, so that is no failure.
#[cfg(unix)]
pub fn sync_dir(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let synced = std::fs::File::open(dir).and_then(|d| d.sync_all());
    match synced {
        Err(e) if !cannot_sync_directories(&e) => Err(Error::write(dir.display(), e)),
        _ => Ok(()),
    }
}

#[cfg(not(unix))]
pub fn sync_dir(_path: &Path) -> Result<()> {
    Ok(())
}

/// The errors a filesystem gives when directories cannot be synced at all.
#[cfg(unix)]
fn cannot_sync_directories(e: &io::Error) -> bool {
    const EINVAL: i32 = 22;
    e.kind() == io::ErrorKind::InvalidInput
        || e.kind() == io::ErrorKind::Unsupported
        || e.raw_os_error() == Some(EINVAL)
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut temp = temp_beside(path)?;
    temp.write_all(bytes)
        .map_err(|e| Error::write(path.display(), e))?;
    persist(temp, path)
}

/// Copies `src` to the new path `dest`, synced. Never a hard link, though that would save
/// the copy of a large history: a link shares the file, so appending to the training file (or
/// editing the kept history in place) would silently change the version that recorded it as
/// its exact input.
pub fn copy_synced(src: &Path, dest: &Path) -> Result<()> {
    std::fs::copy(src, dest)
        .and_then(|_| std::fs::File::open(dest)?.sync_all())
        .map_err(|e| Error::write(dest.display(), e))?;
    Ok(())
}

/// Replaces `dest` by the content of `src` atomically ([`copy_synced`] to a temporary name
/// beside it, then one rename), so a reader finds the old file or the new one, never a mix.
/// The temporary name starts with [`replace_prefix`], for [`remove_replace_leftovers`].
pub fn replace_atomic(src: &Path, dest: &Path) -> Result<()> {
    let temp = temp_named(dest, &replace_prefix(dest), ".tmp")?.into_temp_path();
    let temp_path = temp.to_path_buf();
    std::fs::remove_file(&temp_path).map_err(|e| Error::write(temp_path.display(), e))?;
    copy_synced(src, &temp_path)?;
    temp.persist(dest)
        .map_err(|e| Error::write(dest.display(), e.error))?;
    sync_dir(dest)
}

/// How the temporary files [`replace_atomic`] writes beside `dest` are named:
/// `.history.csv.leadscore-XXXXXX.tmp` for `history.csv`, so that they are told apart from the
/// temporary files of other outputs written to the same directory meanwhile.
fn replace_prefix(dest: &Path) -> String {
    let name = dest
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    format!(".{name}{TEMP_PREFIX}")
}

/// Removes the temporary files of a [`replace_atomic`] of `dest` that was killed before its
/// rename (a history-sized file each, which nothing else would ever remove). For a caller that
/// alone replaces `dest` (holding a lock), so none of them is in use.
pub fn remove_replace_leftovers(dest: &Path) -> Result<()> {
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let prefix = replace_prefix(dest);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(".tmp") {
            std::fs::remove_file(entry.path())
                .map_err(|e| Error::write(entry.path().display(), e))?;
        }
    }
    Ok(())
}

/// A directory of outputs that appears whole or not at all: its files are written inside a
/// temporary directory beside the target, and [`StagedDir::publish`] renames it into place.
/// Dropped unpublished, it is removed with everything in it.
pub struct StagedDir {
    temp: tempfile::TempDir,
    dest: PathBuf,
}

impl StagedDir {
    /// Starts a directory that will become `dest`.
    pub fn beside(dest: &Path) -> Result<StagedDir> {
        // A symlink to a directory: the directory it points to is what is replaced.
        let dest = match resolve(dest) {
            Target::File(p) | Target::Device(p) => p,
        };
        let dest = dest.as_path();
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        remove_stale_temporaries(parent);
        let temp = make_recorded(
            || {
                tempfile::Builder::new()
                    .prefix(&own_prefix(TEMP_PREFIX))
                    .suffix(".dir")
                    .tempdir_in(parent)
            },
            |dir| dir.path().to_path_buf(),
        )
        .map_err(|e| {
            let err = match e.kind() {
                io::ErrorKind::NotFound if !parent.exists() => io::Error::new(
                    e.kind(),
                    format!("the directory {} does not exist", parent.display()),
                ),
                io::ErrorKind::NotFound => io::Error::new(
                    e.kind(),
                    format!("no directory can be made in {}: {e}", parent.display()),
                ),
                _ => e,
            };
            Error::write(dest.display(), err)
        })?;
        // Shared like any finished output (tempfile makes directories 0700).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o755))
                .map_err(|e| Error::write(dest.display(), e))?;
        }
        Ok(StagedDir {
            temp,
            dest: dest.to_path_buf(),
        })
    }

    /// Where to write the files.
    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    /// Syncs every file written, then puts the directory in place of `dest`. An existing
    /// `dest` (which the caller has checked may be replaced) is swapped out in one atomic
    /// exchange where the system has one (Linux), so a reader sees the old directory or the new
    /// one; elsewhere it is moved aside first, then removed.
    pub fn publish(self) -> Result<()> {
        let dest = self.dest.clone();
        let fail = |e: io::Error| Error::write(dest.display(), e);
        for entry in std::fs::read_dir(self.temp.path()).map_err(fail)? {
            let path = entry.map_err(fail)?.path();
            if path.is_file() {
                std::fs::File::open(&path)
                    .and_then(|f| f.sync_all())
                    .map_err(fail)?;
            }
        }
        let staged = self.temp.keep();
        let published = if dest.exists() {
            put_in_place(|| exchange(&staged, &dest)).or_else(|_| move_aside(&staged, &dest))
        } else {
            put_in_place(|| std::fs::rename(&staged, &dest)).map(|()| None)
        };
        match published {
            Ok(old) => {
                if let Some(old) = old {
                    // The old directory is out of the way; removing it may fail (a file
                    // held open elsewhere) without harming the new one.
                    let _ = std::fs::remove_dir_all(old);
                }
                sync_dir(&dest)
            }
            Err(e) => {
                let _ = std::fs::remove_dir_all(&staged);
                Err(fail(e))
            }
        }
    }
}

/// Swaps `staged` and `dest` in one step; `staged` then names the old directory.
#[cfg(target_os = "linux")]
fn exchange(staged: &Path, dest: &Path) -> io::Result<Option<PathBuf>> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
    };
    let (from, to) = (c(staged)?, c(dest)?);
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(Some(staged.to_path_buf()))
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_staged: &Path, _dest: &Path) -> io::Result<Option<PathBuf>> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Where there is no atomic exchange: moves `dest` to a temporary name, then `staged` into
/// place (putting `dest` back if that fails). Returns where the old directory went.
fn move_aside(staged: &Path, dest: &Path) -> io::Result<Option<PathBuf>> {
    let mut old = staged.as_os_str().to_owned();
    old.push(".old");
    let old = PathBuf::from(old);
    make_recorded(|| std::fs::rename(dest, &old), |_| old.clone())?;
    if let Err(e) = put_in_place(|| std::fs::rename(staged, dest)) {
        let _ = std::fs::rename(&old, dest);
        return Err(e);
    }
    Ok(Some(old))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_is_recorded_once_made_and_only_then() {
        let dir = tempfile::tempdir().unwrap();
        let made = dir.path().join("made");
        make_recorded(|| std::fs::create_dir(&made), |_| made.clone()).unwrap();
        let failed = dir.path().join("missing").join("failed");
        let err = make_recorded(|| std::fs::create_dir(&failed), |_| failed.clone());
        assert_eq!(err.unwrap_err().kind(), io::ErrorKind::NotFound);
        let recorded = TEMPORARIES.lock().unwrap();
        assert!(recorded.contains(&made));
        assert!(!recorded.contains(&failed));
    }

    #[test]
    fn temporary_names_carry_the_process_id() {
        assert_eq!(stale_pid(".leadscore-4242-AbC123.tmp"), Some(4242));
        assert_eq!(stale_pid(".leadscore-4242-AbC123.dir"), Some(4242));
        assert_eq!(stale_pid(".history.csv.leadscore-17-x1.tmp"), Some(17));
        // Names from before, and a user's own files, are not ours to remove.
        assert_eq!(stale_pid(".leadscore-AbC123.tmp"), None);
        assert_eq!(stale_pid("report.leadscore-12-final.csv"), None);
        let dir = tempfile::tempdir().unwrap();
        let temp = temp_beside(&dir.path().join("out.csv")).unwrap();
        let name = temp
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(stale_pid(&name), Some(std::process::id()), "{name}");
    }

    /// 40 MiB in 1 MiB pieces starts syncs behind the writing (at 16 MiB, then whenever the one
    /// under way has ended and 16 MiB more are written), and the file holds every byte in order.
    /// Dropped before its commit, the output leaves nothing, though a sync may still be running.
    #[test]
    fn an_output_synced_as_it_grows_holds_every_byte_and_a_dropped_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let piece = |i: usize| vec![b'a' + (i % 26) as u8; 1 << 20];
        let mut back = Writeback::new(temp_beside(&dir.path().join("out.csv")).unwrap(), true);
        for i in 0..40 {
            back.write_all(&piece(i)).unwrap();
        }
        assert!(back.synced_at >= SYNC_EVERY_BYTES, "no sync was started");
        assert!(back.synced_at <= back.written);
        let file = back.finish().unwrap();
        let written = std::fs::read(file.path()).unwrap();
        assert_eq!(written, (0..40).flat_map(piece).collect::<Vec<u8>>());
        drop(file);

        let path = dir.path().join("dropped.csv");
        let mut out = Output::create(Some(&path)).unwrap();
        for i in 0..20 {
            out.write_all(&piece(i)).unwrap();
        }
        drop(out);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    /// Written through to a device at the end, the temporary file is not synced on the way:
    /// it is deleted once copied.
    #[cfg(unix)]
    #[test]
    fn an_output_to_a_device_starts_no_sync() {
        let Output::File { mut temp, .. } = Output::create(Some(Path::new("/dev/null"))).unwrap()
        else {
            panic!("a path is written to a file first")
        };
        for _ in 0..40 {
            temp.write_all(&[b'x'; 1 << 20]).unwrap();
        }
        assert!(temp.get_ref().shared.is_none());
        assert!(temp.get_ref().syncing.is_none());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_resolve_to_their_target_and_devices_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.csv");
        let link = dir.path().join("l.csv");
        std::os::unix::fs::symlink("f.csv", &link).unwrap();
        // Dangling: where it points.
        assert_eq!(resolve(&link), Target::File(file.clone()));
        std::fs::write(&file, "x").unwrap();
        assert_eq!(resolve(&link), Target::File(file.clone()));
        assert_eq!(resolve(&file), Target::File(file));
        assert_eq!(
            resolve(Path::new("/dev/null")),
            Target::Device(PathBuf::from("/dev/null"))
        );
    }

    #[test]
    fn a_staged_directory_appears_whole_and_replaces_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out");
        let staged = StagedDir::beside(&dest).unwrap();
        std::fs::write(staged.path().join("a.csv"), "a").unwrap();
        assert!(!dest.exists());
        staged.publish().unwrap();
        assert_eq!(std::fs::read_to_string(dest.join("a.csv")).unwrap(), "a");

        let staged = StagedDir::beside(&dest).unwrap();
        std::fs::write(staged.path().join("b.csv"), "b").unwrap();
        staged.publish().unwrap();
        assert!(!dest.join("a.csv").exists());
        assert_eq!(std::fs::read_to_string(dest.join("b.csv")).unwrap(), "b");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["out"], "nothing left beside it");
    }

    #[test]
    fn an_unpublished_directory_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let staged = StagedDir::beside(&dir.path().join("out")).unwrap();
        std::fs::write(staged.path().join("a.csv"), "a").unwrap();
        drop(staged);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn moving_aside_puts_the_new_directory_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let (new, dest) = (dir.path().join("new"), dir.path().join("dest"));
        std::fs::create_dir(&new).unwrap();
        std::fs::create_dir(&dest).unwrap();
        std::fs::write(new.join("n"), "").unwrap();
        let old = move_aside(&new, &dest).unwrap().unwrap();
        assert!(dest.join("n").exists() && old.exists() && !new.exists());
    }

    #[test]
    fn atomic_write_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_atomic(&path, b"x\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"x\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn persist_leaves_only_the_final_file_in_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chart.png");
        let mut temp = temp_beside_with_suffix(&path, ".png").unwrap();
        let name = temp
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            name.starts_with(".leadscore-") && name.ends_with(".png"),
            "{name}"
        );
        temp.write_all(b"png").unwrap();
        persist(temp, &path).unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["chart.png"]);
    }
}
