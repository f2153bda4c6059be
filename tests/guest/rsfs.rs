// A Rust guest (wasm32-wasi) exercising std::fs the way real programs do: read_dir,
// create_dir_all, metadata, rename, remove_dir_all, seek/tell, truncation, appends and the
// errors they give. Built for wasm32-wasi and natively from this same file; the case
// (cases/rust-fs.case) runs it in a copy of data/tree and expects the same output from both.
// Errors are printed by errno name (ENOENT, EISDIR, ...): the numbers differ between WASI and
// Linux, and this std maps fewer errno values to io::ErrorKind on wasi than on Linux.
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

#[cfg(target_os = "wasi")]
const ERRNO: &[(i32, &str)] = &[
    (2, "EACCES"), (8, "EBADF"), (20, "EEXIST"), (28, "EINVAL"), (31, "EISDIR"), (32, "ELOOP"),
    (44, "ENOENT"), (54, "ENOTDIR"), (55, "ENOTEMPTY"), (63, "EPERM"), (75, "EXDEV"),
    (76, "ENOTCAPABLE"),
];
#[cfg(not(target_os = "wasi"))]
const ERRNO: &[(i32, &str)] = &[
    (13, "EACCES"), (9, "EBADF"), (17, "EEXIST"), (22, "EINVAL"), (21, "EISDIR"), (40, "ELOOP"),
    (2, "ENOENT"), (20, "ENOTDIR"), (39, "ENOTEMPTY"), (1, "EPERM"), (18, "EXDEV"),
];

// The errno name of an error from the system, else its kind (errors std makes itself).
fn name(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => ERRNO
            .iter()
            .find(|(v, _)| *v == n)
            .map(|(_, s)| s.to_string())
            .unwrap_or_else(|| format!("errno {}", n)),
        None => format!("{:?}", e.kind()),
    }
}

fn show<T>(what: &str, r: io::Result<T>) -> Option<T> {
    match r {
        Ok(v) => {
            println!("{}: ok", what);
            Some(v)
        }
        Err(e) => {
            println!("{}: {}", what, name(&e));
            None
        }
    }
}

fn quoted(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        if (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\' {
            s.push(c as char);
        } else {
            s.push_str(&format!("\\x{:02x}", c));
        }
    }
    s.push('"');
    s
}

// The tree under dir, sorted, with sizes; directories end in '/'.
fn listing(dir: &Path, depth: usize) -> io::Result<()> {
    let mut names = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<Vec<_>>>()?;
    names.sort();
    for n in names {
        let p = dir.join(&n);
        let md = fs::symlink_metadata(&p)?;
        let pad = "  ".repeat(depth);
        if md.is_dir() {
            println!("{}{}/", pad, n.to_string_lossy());
            listing(&p, depth + 1)?;
        } else {
            println!("{}{} {} bytes", pad, n.to_string_lossy(), md.len());
        }
    }
    Ok(())
}

fn list(what: &str, dir: &str) {
    println!("{}:", what);
    if let Err(e) = listing(Path::new(dir), 1) {
        println!("  error {}", name(&e));
    }
}

fn seek_tell() -> io::Result<()> {
    let mut f = OpenOptions::new().read(true).write(true).open("work/a/b/c/f.txt")?;
    println!("seek end: {}", f.seek(SeekFrom::End(0))?);
    f.write_all(b"!!")?;
    println!("tell after write: {}", f.stream_position()?);
    println!("seek 6: {}", f.seek(SeekFrom::Start(6))?);
    let mut buf = [0u8; 5];
    f.read_exact(&mut buf)?;
    println!("read 5: {}", quoted(&buf));
    println!("seek cur -5: {}", f.seek(SeekFrom::Current(-5))?);
    println!("seek before start: {:?}", f.seek(SeekFrom::Current(-100)).map_err(|e| name(&e)));
    f.set_len(5)?;
    println!("set_len 5: len {}", f.metadata()?.len());
    f.set_len(8)?;
    f.seek(SeekFrom::Start(0))?;
    let mut all = Vec::new();
    f.read_to_end(&mut all)?;
    println!("after set_len 8: {}", quoted(&all));
    println!("tell at end: {}", f.stream_position()?);
    Ok(())
}

fn truncate_append() -> io::Result<()> {
    File::create("work/a/b/c/f.txt")?; // truncates
    println!("create existing: len {}", fs::metadata("work/a/b/c/f.txt")?.len());
    for word in ["one ", "two ", "three"] {
        let mut f = OpenOptions::new().append(true).open("work/a/b/c/f.txt")?;
        f.write_all(word.as_bytes())?;
    }
    println!("appended: {}", quoted(&fs::read("work/a/b/c/f.txt")?));
    let mut f = OpenOptions::new().write(true).truncate(true).open("work/a/b/c/f.txt")?;
    f.write_all(b"short")?;
    println!("truncated rewrite: {}", quoted(&fs::read("work/a/b/c/f.txt")?));
    Ok(())
}

fn many(n: usize) -> io::Result<()> {
    fs::create_dir("work/many")?;
    for i in 0..n {
        fs::write(format!("work/many/file-{:03}", i), format!("{}", i))?;
    }
    let mut count = 0;
    let mut sum = 0usize;
    for e in fs::read_dir("work/many")? {
        let e = e?;
        count += 1;
        sum += fs::read_to_string(e.path())?.parse::<usize>().unwrap_or(0);
    }
    println!("many: {} entries, sum {}", count, sum);
    Ok(())
}

fn main() {
    list("fixture", ".");
    show("read sub/c.txt", fs::read("sub/c.txt")).map(|b| println!("  {}", quoted(&b)));
    show("read missing", fs::read("missing"));
    show("read_dir a.txt", fs::read_dir("a.txt"));

    show("create_dir_all work/a/b/c", fs::create_dir_all("work/a/b/c"));
    show("create_dir_all again", fs::create_dir_all("work/a/b/c"));
    show("create_dir work/a", fs::create_dir("work/a"));
    show("create_dir x/y", fs::create_dir("x/y"));
    show("write f.txt", fs::write("work/a/b/c/f.txt", "hello world"));
    if let Some(md) = show("metadata f.txt", fs::metadata("work/a/b/c/f.txt")) {
        println!("  file {} dir {} len {}", md.is_file(), md.is_dir(), md.len());
    }
    if let Some(md) = show("metadata work/a", fs::metadata("work/a")) {
        println!("  file {} dir {}", md.is_file(), md.is_dir());
    }
    show("metadata missing", fs::metadata("work/nope"));
    show("seek/tell", seek_tell());
    show("truncate/append", truncate_append());

    show("open . as a file", File::open(".")).map(|mut d| {
        let md = d.metadata().map(|m| m.is_dir());
        println!("  is_dir {:?}", md.map_err(|e| name(&e)));
        let mut buf = [0u8; 4];
        println!("  read {:?}", d.read(&mut buf).map_err(|e| name(&e)));
    });
    show("create work/a (a directory) for writing", File::create("work/a"));
    show("remove_file work/a (a directory)", fs::remove_file("work/a"));
    show("remove_dir work/a (not empty)", fs::remove_dir("work/a"));

    show("rename f.txt to work/f2.txt", fs::rename("work/a/b/c/f.txt", "work/f2.txt"));
    show("rename dir work/a/b to work/b2", fs::rename("work/a/b", "work/b2"));
    show("rename file onto a directory", fs::rename("work/f2.txt", "work/b2"));
    show("rename dir into itself", fs::rename("work/b2", "work/b2/c/inside"));
    show("rename missing", fs::rename("work/none", "work/x"));
    list("work after renames", "work");

    show("many files", many(300));
    show("remove_dir_all work", fs::remove_dir_all("work"));
    show("metadata work after remove_dir_all", fs::metadata("work"));
    list("at the end", ".");
}
