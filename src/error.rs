//! The library's one error type. Every variant carries what a user needs to fix the problem
//! (the file, the line, the column, the value); `main` prints it once and picks the exit code.

use std::fmt;

/// Exit code for bad input or usage: the user can fix it and run again.
pub const EXIT_INPUT: u8 = 2;
/// Exit code for a failure of the run itself (disk full, permission denied, ...).
pub const EXIT_RUNTIME: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One field of one row: `leads.csv:43: column "employees": expected a number, got "n/a"`.
    #[error("{path}:{line}: column \"{column}\": {problem}")]
    Field {
        path: String,
        line: u64,
        column: String,
        problem: String,
    },
    /// A whole row: wrong number of fields, a duplicate id.
    #[error("{path}:{line}: {problem}")]
    Row {
        path: String,
        line: u64,
        problem: String,
    },
    /// A whole file: empty, header only, a column missing, not a model file.
    #[error("{path}: {problem}")]
    File { path: String, problem: String },
    /// A flag combination or argument that cannot work.
    #[error("{0}")]
    Usage(String),
    /// The data cannot support a model (no usable rows, nothing to fit).
    #[error("{0}")]
    Data(String),
    /// Reading or writing failed for a reason outside the user's input.
    #[error("{action} {path}: {err}")]
    Io {
        action: &'static str,
        path: String,
        err: std::io::Error,
    },
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Io { err, .. } if err.kind() == std::io::ErrorKind::NotFound => EXIT_INPUT,
            Error::Io { .. } => EXIT_RUNTIME,
            _ => EXIT_INPUT,
        }
    }

    pub fn file(path: impl fmt::Display, problem: impl Into<String>) -> Self {
        Error::File {
            path: path.to_string(),
            problem: problem.into(),
        }
    }

    pub fn read(path: impl fmt::Display, err: std::io::Error) -> Self {
        Error::Io {
            action: "cannot read",
            path: path.to_string(),
            err,
        }
    }

    pub fn write(path: impl fmt::Display, err: std::io::Error) -> Self {
        Error::Io {
            action: "cannot write",
            path: path.to_string(),
            err,
        }
    }

    /// True when the error is a closed pipe on output (`leadscore score x | head`), which Unix
    /// tools treat as a normal end rather than a failure.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { err, .. } if err.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
