//! Shared test helpers: the real binary in a hermetic environment, temporary data repositories.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;

/// The folder of the source tree's sample data.
pub fn plan_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("plan-data")
}

/// Environment that makes git and kehoach behave the same on every machine.
pub fn hermetic(cmd: &mut StdCommand, home: &Path) {
    cmd.env("HOME", home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Nguyễn Văn Thử")
        .env("GIT_AUTHOR_EMAIL", "thu.nv@soyte.example.vn")
        .env("GIT_AUTHOR_DATE", "@1750000000 +0700")
        .env("GIT_COMMITTER_NAME", "Nguyễn Văn Thử")
        .env("GIT_COMMITTER_EMAIL", "thu.nv@soyte.example.vn")
        .env("GIT_COMMITTER_DATE", "@1750000000 +0700")
        .env("NO_COLOR", "1")
        .env("LANG", "C.UTF-8")
        .env_remove("KEHOACH_LANG")
        .env_remove("EDITOR")
        .env_remove("VISUAL");
}

/// The kehoach binary, hermetic, run in `dir`.
pub fn kehoach_in(dir: &Path, home: &Path) -> Command {
    let mut std = StdCommand::new(assert_cmd::cargo::cargo_bin!("kehoach"));
    hermetic(&mut std, home);
    std.current_dir(dir);
    Command::from_std(std)
}

/// A temporary data repository.
pub struct TestRepo {
    pub tmp: tempfile::TempDir,
}

impl TestRepo {
    /// A repository made by `kehoach init DIR --sample`: the sample plan in one commit.
    pub fn sample() -> TestRepo {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("home")).unwrap();
        let out = kehoach_in(tmp.path(), &tmp.path().join("home"))
            .args(["init", "repo", "--sample"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r = TestRepo { tmp };
        // Library calls in the test process find the identity in the repository's config.
        r.git(&["config", "user.name", "Nguyễn Văn Thử"]);
        r.git(&["config", "user.email", "thu.nv@soyte.example.vn"]);
        r
    }

    /// [`TestRepo::sample`] whose policy names no reviewers: edits go straight to main, as in a
    /// team that does not use review. For tests of history and sync.
    pub fn sample_without_review() -> TestRepo {
        let r = TestRepo::sample();
        let config = r.read("kehoach.toml");
        let cut = config.find("[[review.reviewers]]").unwrap_or(config.len());
        r.write("kehoach.toml", config[..cut].trim_end());
        r.git(&["commit", "-q", "-am", "update config: no reviewers"]);
        r
    }

    /// A repository made by `kehoach demo DIR`: the sample plan with its history.
    pub fn demo() -> TestRepo {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("home")).unwrap();
        let out = kehoach_in(tmp.path(), &tmp.path().join("home"))
            .args(["demo", "repo", "--no-open"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "demo failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let r = TestRepo { tmp };
        r.git(&["config", "user.name", "Nguyễn Văn Thử"]);
        r.git(&["config", "user.email", "thu.nv@soyte.example.vn"]);
        r
    }

    pub fn path(&self) -> PathBuf {
        self.tmp.path().join("repo")
    }

    pub fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    /// The kehoach binary run in the repository.
    pub fn cmd(&self) -> Command {
        kehoach_in(&self.path(), &self.home())
    }

    /// Runs git in the repository; panics on failure; returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let mut c = StdCommand::new("git");
        hermetic(&mut c, &self.home());
        let out = c.current_dir(self.path()).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Rewrites the title (or name) of every assignment and agency of the sample, a sixth at
    /// a time, bringing the search index up to date after each commit: the index ends in seven
    /// segments, none holding a quarter of the records, as one built with little memory.
    pub fn index_in_pieces(&self) {
        let store = kehoach::store::Store::open(&self.path()).unwrap();
        kehoach::search::SearchIndex::open(&store).unwrap();
        let mut files: Vec<String> = [
            format!("plans/{SAMPLE_PLAN}/assignments"),
            "agencies".to_string(),
        ]
        .iter()
        .flat_map(|folder| {
            std::fs::read_dir(self.path().join(folder))
                .unwrap()
                .map(|e| format!("{folder}/{}", e.unwrap().file_name().to_string_lossy()))
                .collect::<Vec<_>>()
        })
        .collect();
        files.sort();
        assert_eq!(files.len(), 36 + 22);
        for (i, batch) in files.chunks(10).enumerate() {
            for rel in batch {
                let text = self.read(rel);
                let line = text
                    .lines()
                    .find(|l| l.starts_with("title = ") || l.starts_with("name = "))
                    .unwrap()
                    .to_string();
                let key = line.split(' ').next().unwrap();
                self.write(
                    rel,
                    &text.replace(
                        &line,
                        &format!("{key} = \"Chăm sóc chim cánh cụt, đợt {i}\""),
                    ),
                );
            }
            self.git(&["commit", "-qam", &format!("Rename batch {i}")]);
            kehoach::search::SearchIndex::open(&store).unwrap();
        }
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap()
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// The path of an assignment of the sample plan, relative to the data root.
pub fn sample_assignment(id: &str) -> String {
    format!("plans/kh-27-qd-ttg-binh-thuan/assignments/{id}.toml")
}

pub const SAMPLE_PLAN: &str = "kh-27-qd-ttg-binh-thuan";
