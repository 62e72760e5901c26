//! User-editable files: `config.toml`, themes, keymaps, and where they live.
//!
//! Every loader returns a [`FileError`] naming the file, line and column so a
//! typo is fixed in seconds; `main` prints it and exits with status 2 before
//! the terminal is touched.

pub mod keymap;
pub mod keys;
pub mod paths;
pub mod settings;
pub mod theme;

use std::fmt;
use std::path::{Path, PathBuf};

/// An error in a user or built-in file, located to line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub path: PathBuf,
    /// 1-based; 0 when the error has no position (e.g. unreadable file).
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(f, "{}:{}:{}: {}", self.path.display(), self.line, self.col, self.message)
        }
    }
}

impl std::error::Error for FileError {}

impl FileError {
    pub fn at(path: &Path, src: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, col) = line_col(src, offset);
        FileError { path: path.to_path_buf(), line, col, message: message.into() }
    }

    pub fn whole(path: &Path, message: impl Into<String>) -> Self {
        FileError { path: path.to_path_buf(), line: 0, col: 0, message: message.into() }
    }

    /// Converts a TOML parse/deserialise error, keeping its position.
    pub fn from_toml(path: &Path, src: &str, err: &toml::de::Error) -> Self {
        let message = err.message().trim().to_string();
        match err.span() {
            Some(span) => FileError::at(path, src, span.start, message),
            None => FileError::whole(path, message),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// A file's text with the path it came from; built-ins use a `builtin:` path.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
}

impl Source {
    pub fn builtin(kind: &str, name: &str, text: &str) -> Self {
        Source { path: PathBuf::from(format!("<builtin>/{kind}/{name}.toml")), text: text.to_string() }
    }

    pub fn read(path: &Path) -> Result<Self, FileError> {
        std::fs::read_to_string(path)
            .map(|text| Source { path: path.to_path_buf(), text })
            .map_err(|e| FileError::whole(path, format!("cannot read: {e}")))
    }

    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, FileError> {
        toml::from_str(&self.text).map_err(|e| FileError::from_toml(&self.path, &self.text, &e))
    }

    pub fn error_at(&self, offset: usize, message: impl Into<String>) -> FileError {
        FileError::at(&self.path, &self.text, offset, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let src = "a = 1\nbé = 2\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        assert_eq!(line_col(src, 9), (2, 3));
    }

    #[test]
    fn toml_errors_keep_position() {
        let src = Source { path: "x.toml".into(), text: "a = 1\nb = = 2\n".into() };
        let err = src.parse::<toml::Table>().unwrap_err();
        assert_eq!((err.line, err.col), (2, 5), "{err}");
        assert!(err.to_string().starts_with("x.toml:2:5: "), "{err}");
    }
}
