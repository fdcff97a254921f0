//! A generator of realistic data repositories for benchmarks: plans, assignments, reports and
//! agencies with Vietnamese text, every record valid; the agencies in one commit, then one commit
//! per plan, packed at the end as `git gc` would.

use std::path::Path;
use std::time::Instant;

use std::cell::RefCell;

use super::commit::build_tree;
use super::error::{Result, StoreError};
use super::init::{init_repository, support_files};
use super::layout;

/// Words drawn from the sample plan, to make text that reads like the real thing.
const WORDS: &[&str] = &[
    "trẻ em",
    "quyền",
    "bảo vệ",
    "chăm sóc",
    "giáo dục",
    "Đẩy mạnh",
    "truyền thông",
    "vận động",
    "xã hội",
    "nâng cao",
    "nhận thức",
    "trách nhiệm",
    "kiến thức",
    "kỹ năng",
    "thực hiện",
    "năng lực",
    "chuyên môn",
    "nghiệp vụ",
    "đội ngũ",
    "cán bộ",
    "phối hợp",
    "liên ngành",
    "triển khai",
    "hoạt động",
    "mô hình",
    "dịch vụ",
    "hệ thống",
    "chính sách",
    "pháp luật",
    "kiểm tra",
    "thanh tra",
    "cơ sở dữ liệu",
    "dân cư",
    "ngân sách",
    "kinh phí",
    "hợp tác",
    "quốc tế",
    "chuẩn mực",
    "thông lệ",
    "địa phương",
    "sở",
    "ngành",
    "huyện",
    "xã",
    "phường",
    "Tòa án",
    "gia đình",
    "người chưa thành niên",
    "tố tụng",
    "thân thiện",
    "kiểm sát viên",
    "Mặt trận Tổ quốc",
    "giám sát",
    "phản biện",
    "báo cáo",
    "kết quả",
    "khó khăn",
    "vướng mắc",
    "đề xuất",
    "tổng hợp",
    "định kỳ",
    "đánh giá",
    "lộ trình",
    "chương trình",
    "đề án",
    "mục tiêu",
    "chỉ tiêu",
    "nhiệm vụ",
    "giải pháp",
    "lồng ghép",
    "hiệu quả",
    "kịp thời",
    "đồng bộ",
    "toàn diện",
    "lợi ích",
    "tốt nhất",
    "Lao động",
    "Thương binh",
    "y tế",
    "học sinh",
    "tuyên truyền",
    "tập huấn",
    "hội nghị",
    "tọa đàm",
    "khảo sát",
    "thống kê",
    "trường học",
    "bạo lực",
    "xâm hại",
    "phòng ngừa",
    "can thiệp",
    "hỗ trợ",
    "tư vấn",
    "đường dây nóng",
];

const DISTRICT_NAMES: &[&str] = &[
    "Phan Thiết",
    "La Gi",
    "Tuy Phong",
    "Bắc Bình",
    "Hàm Thuận Bắc",
    "Hàm Thuận Nam",
    "Tánh Linh",
    "Đức Linh",
    "Hàm Tân",
    "Phú Quý",
    "Đà Lạt",
    "Bảo Lộc",
    "Di Linh",
    "Lâm Hà",
    "Đơn Dương",
    "Gia Nghĩa",
    "Cư Jút",
    "Krông Nô",
    "Đắk Mil",
    "Tuy Đức",
];

const DEPARTMENTS: &[&str] = &[
    "Y tế",
    "Tài chính",
    "Giáo dục và Đào tạo",
    "Tư pháp",
    "Văn hóa, Thể thao và Du lịch",
    "Nội vụ",
    "Xây dựng",
    "Nông nghiệp và Môi trường",
    "Khoa học và Công nghệ",
    "Dân tộc và Tôn giáo",
];

/// A small deterministic random source (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn sentence(&mut self, min: usize, max: usize) -> String {
        let n = min + self.below(max - min + 1);
        let mut s = String::new();
        for i in 0..n {
            if i > 0 {
                s.push(if self.below(9) == 0 { ',' } else { ' ' });
                if s.ends_with(',') {
                    s.push(' ');
                }
            }
            s.push_str(self.pick(WORDS));
        }
        let mut c = s.chars();
        let cap = match c.next() {
            Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
            None => s,
        };
        cap + "."
    }
}

fn q(s: &str) -> String {
    toml_edit::Value::from(s).to_string()
}

fn list(xs: &[String]) -> String {
    let items: Vec<String> = xs.iter().map(|x| q(x)).collect();
    format!("[{}]", items.join(", "))
}

/// What was generated.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Generated {
    pub records: usize,
    pub agencies: usize,
    pub plans: usize,
    pub assignments: usize,
    pub reports: usize,
    pub commits: usize,
    pub seconds: f64,
}

/// Writes a data repository of about `records` records into `dir` (missing or empty) and commits
/// it, one commit per plan. Every record validates.
pub fn generate(dir: &Path, records: usize, seed: u64) -> Result<Generated> {
    let start = Instant::now();
    let repo = init_repository(dir)?;
    let mut rng = Rng(seed);
    let root = dir;
    // Files written since the last commit, as (path, blob).
    let batch: RefCell<Vec<(String, Option<git2::Oid>)>> = RefCell::new(Vec::new());
    let put = |rel: &str, text: &str| -> Result<()> {
        let p = root.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::io(parent, e))?;
        }
        std::fs::write(&p, text).map_err(|e| StoreError::io(&p, e))?;
        batch
            .borrow_mut()
            .push((rel.to_string(), Some(repo.blob(text.as_bytes())?)));
        Ok(())
    };
    let write = |rel: &str, kind: layout::Kind, body: &str| -> Result<()> {
        put(
            rel,
            &format!("{}\n\n{body}", layout::schema_line(kind, rel)),
        )
    };
    let sig = git2::Signature::new(
        "Trình sinh dữ liệu",
        "generator@kehoach.invalid",
        &git2::Time::new(1_735_689_600, 7 * 60),
    )?;
    let mut commits = 0usize;
    let commit = |message: &str| -> Result<()> {
        let updates = std::mem::take(&mut *batch.borrow_mut());
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let base = parent.as_ref().map(|c| c.tree()).transpose()?;
        let tree = repo.find_tree(build_tree(&repo, base.as_ref(), &updates)?)?;
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)?;
        Ok(())
    };
    for c in support_files() {
        put(&c.path, c.content.as_deref().unwrap_or(""))?;
    }
    put(
        layout::CONFIG_FILE,
        &super::init::default_config("Dữ liệu sinh tự động để đo hiệu năng"),
    )?;

    // Agencies: the province, its departments and district committees (some ended mid-2025).
    let n_agencies = (records / 400).clamp(30, 400);
    let mut agencies: Vec<(String, bool)> = Vec::new(); // (id, ended)
    write(
        &layout::agency_path("ubnd-tinh"),
        layout::Kind::Agency,
        "id = \"ubnd-tinh\"\nname = \"Ủy ban nhân dân tỉnh\"\nkind = \"peoples_committee\"\n",
    )?;
    agencies.push(("ubnd-tinh".into(), false));
    for i in 1..n_agencies {
        let (id, name, kind, ended) = if i % 3 == 0 {
            let base = DISTRICT_NAMES[i % DISTRICT_NAMES.len()];
            (
                format!("ubnd-{}-{i}", crate::model::slugify(base)),
                format!("Ủy ban nhân dân huyện {base} ({i})"),
                "peoples_committee",
                i % 2 == 0,
            )
        } else {
            let base = DEPARTMENTS[i % DEPARTMENTS.len()];
            (
                format!("so-{}-{i}", crate::model::slugify(base)),
                format!("Sở {base} ({i})"),
                "department",
                false,
            )
        };
        let mut body = format!(
            "id = {}\nname = {}\nkind = \"{kind}\"\nparent = \"ubnd-tinh\"\n",
            q(&id),
            q(&name)
        );
        if ended {
            body.push_str(
                "valid_until = \"2025-06-30\"\nnotes = \"Kết thúc hoạt động từ 01/7/2025.\"\n",
            );
        }
        write(&layout::agency_path(&id), layout::Kind::Agency, &body)?;
        agencies.push((id, ended));
    }

    commit(&format!(
        "create repository: settings and {n_agencies} agencies\n\nGenerated for benchmarks (seed {seed}).\n"
    ))?;
    commits += 1;

    // Plans of about a hundred records each, one commit each.
    let per_plan = 100usize;
    let n_plans = ((records.saturating_sub(n_agencies)) / per_plan).max(1);
    let periods = [
        "2021-h1", "2021-h2", "2022-h1", "2022-h2", "2023-h1", "2023-h2", "2024-h1", "2024-h2",
        "2025-h1", "2025-h2",
    ];
    let statuses = [
        "not_started",
        "in_progress",
        "in_progress",
        "done",
        "cancelled",
    ];
    let dues = [
        "continuous",
        "yearly:12-15",
        "half-yearly:06-20",
        "quarterly:03-25",
        "monthly:31",
        "2025-12-31",
        "2024-06-30",
    ];
    let (mut n_assign, mut n_reports) = (0usize, 0usize);
    for p in 0..n_plans {
        let plan_id = format!("kh-{:05}", p + 1);
        let n_tasks = 5 + rng.below(4);
        let mut body = format!(
            "id = {}\nnumber = \"{}\"\nsymbol = \"KH-UBND\"\nissuer = \"ubnd-tinh\"\nplace = \"Bình Thuận\"\ndate = \"2021-0{}-1{}\"\ntitle = {}\nstatus = \"issued\"\npreamble = {}\npurposes = [{}, {}]\nfunding = {}\n",
            q(&plan_id),
            p + 1,
            1 + rng.below(9),
            rng.below(10),
            q(&format!(
                "Kế hoạch {} {}",
                rng.sentence(4, 8).trim_end_matches('.'),
                p + 1
            )),
            q(&rng.sentence(20, 40)),
            q(&rng.sentence(15, 30)),
            q(&rng.sentence(15, 30)),
            q(&rng.sentence(20, 40)),
        );
        for t in 1..=n_tasks {
            body.push_str(&format!(
                "\n[[tasks]]\nid = \"t{t}\"\nnumber = \"{t}\"\ntext = {}\n",
                q(&rng.sentence(15, 35))
            ));
        }
        body.push_str("\n[signer]\non_behalf_of = \"KT. CHỦ TỊCH\"\ntitle = \"PHÓ CHỦ TỊCH\"\nname = \"Nguyễn Văn Minh\"\n");
        body.push_str(&format!(
            "\n[reporting]\nperiod = \"half_year\"\ndue_days = 15\nto = {}\nfirst_period = \"2021-h1\"\n",
            q(&agencies[1].0)
        ));
        write(&layout::plan_path(&plan_id), layout::Kind::Plan, &body)?;

        // Assignments: led by a dozen agencies of the plan.
        let n_a = 40usize;
        let lead_pool: Vec<usize> = (0..12).map(|_| 1 + rng.below(agencies.len() - 1)).collect();
        let mut leads: Vec<String> = Vec::new();
        for a in 0..n_a {
            let id = format!("a{:02}", a + 1);
            let lead = &agencies[lead_pool[a % lead_pool.len()]].0;
            let mut coord: Vec<String> = Vec::new();
            for _ in 0..rng.below(3) {
                let c = &agencies[1 + rng.below(agencies.len() - 1)].0;
                if c != lead && !coord.contains(c) {
                    coord.push(c.clone());
                }
            }
            let tasks = vec![format!("t{}", 1 + rng.below(n_tasks))];
            let body = format!(
                "id = {}\nplan = {}\ntasks = {}\nlead = {}\ncoordinating = {}\ntitle = {}\ndescription = {}\noutput = {}\ndue = {}\nstatus = {}\n",
                q(&id),
                q(&plan_id),
                list(&tasks),
                q(lead),
                list(&coord),
                q(rng.sentence(4, 9).trim_end_matches('.')),
                q(&rng.sentence(25, 60)),
                q(&rng.sentence(4, 10)),
                q(rng.pick(&dues)),
                q(rng.pick(&statuses)),
            );
            write(
                &layout::assignment_path(&plan_id, &id),
                layout::Kind::Assignment,
                &body,
            )?;
            leads.push(lead.clone());
            n_assign += 1;
        }

        // Reports: the rest of the plan's share, by lead agencies, per half-year.
        let n_r = per_plan - 1 - n_a;
        let mut made = std::collections::HashSet::new();
        let mut tries = 0;
        while made.len() < n_r && tries < n_r * 20 {
            tries += 1;
            let period = periods[rng.below(periods.len())];
            let ai = rng.below(n_a);
            let agency = &leads[ai];
            let ended = agencies.iter().any(|(id, e)| id == agency && *e);
            if ended && period == "2025-h2" {
                continue;
            }
            if !made.insert((period, agency.clone())) {
                continue;
            }
            let year: i32 = period[..4].parse().unwrap_or(2025);
            let (month, day) = if period.ends_with("h1") {
                (7, 1 + rng.below(28))
            } else {
                (1, 1 + rng.below(28))
            };
            let submitted_year = if period.ends_with("h1") {
                year
            } else {
                year + 1
            };
            let mut body = format!(
                "plan = {}\nagency = {}\nperiod = \"{period}\"\nsubmitted_on = \"{submitted_year}-{month:02}-{day:02}\"\nstatus = \"submitted\"\nsummary = {}\nnotes = \"Dữ liệu sinh tự động.\"\n",
                q(&plan_id),
                q(agency),
                q(&rng.sentence(20, 50)),
            );
            for (j, l) in leads.iter().enumerate() {
                if l == agency {
                    body.push_str(&format!(
                        "\n[[entries]]\nassignment = \"a{:02}\"\nstatus = \"in_progress\"\npercent = {}\nresults = {}\ndifficulties = {}\nproposals = {}\n",
                        j + 1,
                        rng.below(101),
                        q(&rng.sentence(20, 50)),
                        q(&rng.sentence(8, 20)),
                        q(&rng.sentence(8, 20)),
                    ));
                    if rng.below(3) == 0 {
                        break;
                    }
                }
            }
            let period: crate::model::Period = period.parse().expect("valid period");
            write(
                &layout::report_path(&plan_id, &period, agency),
                layout::Kind::Report,
                &body,
            )?;
            n_reports += 1;
        }
        commit(&format!(
            "create plan {plan_id}: {n_a} assignments and their reports\n"
        ))?;
        commits += 1;
    }

    // The index in step with the last commit, and the objects packed as `git gc` would.
    let mut index = repo.index()?;
    index.add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)?;
    index.write()?;
    let total = n_agencies + n_plans + n_assign + n_reports;
    let packed = std::process::Command::new("git")
        .current_dir(dir)
        .args(["repack", "-adq"])
        .status();
    if !packed.is_ok_and(|s| s.success()) {
        return Err(StoreError::Other(
            "git repack failed in the generated repository".into(),
        ));
    }
    Ok(Generated {
        records: total,
        agencies: n_agencies,
        plans: n_plans,
        assignments: n_assign,
        reports: n_reports,
        commits,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// A generated repository of `records` records under `cache` (`cache/<records>`), made once and
/// reused: benchmarks call this.
pub fn cached(cache: &Path, records: usize) -> Result<std::path::PathBuf> {
    let dir = cache.join(records.to_string());
    let done = dir.join(".git").join("kehoach-generated");
    if done.exists() {
        return Ok(dir);
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
    }
    generate(&dir, records, 42)?;
    std::fs::write(&done, records.to_string()).map_err(|e| StoreError::io(&done, e))?;
    Ok(dir)
}
