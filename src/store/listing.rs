//! Quick listings of the records of a data root, for a first screen.

use super::Store;
use super::error::Result;

impl Store {
    /// A quick partial listing for a first screen: every plan and agency, and the records of
    /// the first plan only (data-root relative). Reading a few folders instead of the whole
    /// tree; `load::scan` lists everything.
    pub fn first_records(&self) -> Result<Vec<String>> {
        let root = self.root();
        let names = |rel: &str| -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(root.join(rel))
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .filter_map(|e| e.file_name().to_str().map(String::from))
                        .filter(|n| !n.starts_with('.'))
                        .collect()
                })
                .unwrap_or_default();
            v.sort();
            v
        };
        let mut out = Vec::new();
        for a in names("agencies") {
            out.push(format!("agencies/{a}"));
        }
        let plans = names("plans");
        for p in &plans {
            out.push(format!("plans/{p}/plan.toml"));
        }
        if let Some(p) = plans.first() {
            for a in names(&format!("plans/{p}/assignments")) {
                out.push(format!("plans/{p}/assignments/{a}"));
            }
            for period in names(&format!("plans/{p}/reports")) {
                for a in names(&format!("plans/{p}/reports/{period}")) {
                    out.push(format!("plans/{p}/reports/{period}/{a}"));
                }
            }
        }
        out.retain(|p| super::layout::classify(p).is_some() && root.join(p).is_file());
        out.sort();
        Ok(out)
    }
}
