//! Where results go: a file that appears only when complete (written beside its final path,
//! synced, renamed into place, and the directory synced), or standard output.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where output goes: a file that appears only when complete, or stdout.
pub enum Output {
    File {
        temp: BufWriter<tempfile::NamedTempFile>,
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
                Ok(Output::File {
                    temp: BufWriter::with_capacity(256 * 1024, temp),
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
                    .map_err(|e| Error::write(path.display(), e.into_error()))?;
                persist(temp, &path)
            }
        }
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
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix(suffix);
    // A finished file is for sharing (with the CRM, the team); tempfile's default is 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    builder.tempfile_in(dir).map_err(|e| {
        // tempfile names its own random file in the message; the user named `path`.
        let err = match e.kind() {
            std::io::ErrorKind::NotFound => std::io::Error::new(
                e.kind(),
                format!("the directory {} does not exist", dir.display()),
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
    temp.as_file()
        .sync_all()
        .map_err(|e| Error::write(path.display(), e))?;
    temp.persist(path)
        .map_err(|e| Error::write(path.display(), e.error))?;
    sync_dir(path)
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
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .suffix(".dir")
            .tempdir_in(parent)
            .map_err(|e| {
                let err = match e.kind() {
                    io::ErrorKind::NotFound => io::Error::new(
                        e.kind(),
                        format!("the directory {} does not exist", parent.display()),
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
            exchange(&staged, &dest).or_else(|_| move_aside(&staged, &dest))
        } else {
            std::fs::rename(&staged, &dest).map(|()| None)
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
    std::fs::rename(dest, &old)?;
    if let Err(e) = std::fs::rename(staged, dest) {
        let _ = std::fs::rename(&old, dest);
        return Err(e);
    }
    Ok(Some(old))
}

#[cfg(test)]
mod tests {
    use super::*;

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
