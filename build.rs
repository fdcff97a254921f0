//! Embeds plan-data/ in the binary, so that `kehoach demo` and `kehoach init --sample` work
//! wherever the binary is.

use std::fmt::Write as _;
use std::path::Path;

fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, String)>) {
    // A sample missing or cut short must stop the build, not make a binary whose `demo` has
    // nothing to show (and, once plan-data/ is back, cargo would keep that binary's sample).
    let rd = std::fs::read_dir(dir).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; the binary embeds the sample plan from plan-data/",
            dir.display()
        )
    });
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || (rel.is_empty() && name == "schemas") {
            continue;
        }
        let child = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let path = e.path();
        if path.is_dir() {
            walk(&path, &child, out);
        } else if name.ends_with(".toml") {
            out.push((
                child,
                path.canonicalize().unwrap().to_string_lossy().to_string(),
            ));
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("plan-data");
    println!("cargo:rerun-if-changed=plan-data");
    let mut files = Vec::new();
    walk(&root, "", &mut files);
    for needed in ["kehoach.toml", "agencies/", "plans/"] {
        assert!(
            files.iter().any(|(rel, _)| rel.starts_with(needed)),
            "plan-data/{needed} is missing: the binary embeds the sample plan from plan-data/"
        );
    }
    for (_, abs) in &files {
        println!("cargo:rerun-if-changed={abs}");
    }
    let mut code = String::from(
        "/// plan-data/, as (path, text) pairs.\npub const SAMPLE_DATA: &[(&str, &str)] = &[\n",
    );
    for (rel, abs) in &files {
        writeln!(code, "    ({rel:?}, include_str!({abs:?})),").unwrap();
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("sample_data.rs");
    std::fs::write(out, code).unwrap();
}
