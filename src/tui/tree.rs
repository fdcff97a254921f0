//! The browse tree: plans → assignments and reports (by period, then agency), and agencies. Built
//! from the list of record paths alone, so that the first frame needs no record parsed.

use std::collections::{BTreeMap, HashSet};

use crate::store::layout::{self, Kind};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanEntry {
    pub id: String,
    pub assignments: Vec<String>,
    /// Period → agencies that reported.
    pub reports: BTreeMap<String, Vec<String>>,
}

/// Which records exist, by kind, from their paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Index {
    pub plans: Vec<PlanEntry>,
    pub agencies: Vec<String>,
    pub total: usize,
    /// False while only part of the tree has been listed (the first frame's quick listing).
    pub partial: bool,
}

impl Index {
    pub fn from_paths(paths: &[String]) -> Index {
        let mut plans: Vec<PlanEntry> = Vec::new();
        let mut agencies = Vec::new();
        let mut total = 0;
        for p in paths {
            // Split without allocating: at most five parts are meaningful.
            let mut parts = [""; 5];
            let mut n = 0;
            for s in p.split('/') {
                if n == 5 {
                    n = 6;
                    break;
                }
                parts[n] = s;
                n += 1;
            }
            if !p.ends_with(".toml") {
                continue;
            }
            let stem = |s: &str| s.trim_end_matches(".toml").to_string();
            let plan_at = |plans: &mut Vec<PlanEntry>, id: &str| -> usize {
                // Paths come sorted, so a plan's records are together: look at the last first.
                match plans.iter().rposition(|e| e.id == id) {
                    Some(i) => i,
                    None => {
                        plans.push(PlanEntry {
                            id: id.to_string(),
                            ..Default::default()
                        });
                        plans.len() - 1
                    }
                }
            };
            match (n, parts) {
                (2, ["agencies", f, ..]) => agencies.push(stem(f)),
                (3, ["plans", plan, "plan.toml", ..]) => {
                    plan_at(&mut plans, plan);
                }
                (4, ["plans", plan, "assignments", f, _]) => {
                    let i = plan_at(&mut plans, plan);
                    plans[i].assignments.push(stem(f));
                }
                (5, ["plans", plan, "reports", period, f]) => {
                    let i = plan_at(&mut plans, plan);
                    let reports = &mut plans[i].reports;
                    match reports.get_mut(period) {
                        Some(v) => v.push(stem(f)),
                        None => {
                            reports.insert(period.to_string(), vec![stem(f)]);
                        }
                    }
                }
                _ => continue,
            }
            total += 1;
        }
        plans.sort_by(|a, b| a.id.cmp(&b.id));
        agencies.sort();
        Index {
            plans,
            agencies,
            total,
            partial: false,
        }
    }

    pub fn has_agency(&self, id: &str) -> bool {
        self.agencies
            .binary_search_by(|a| a.as_str().cmp(id))
            .is_ok()
    }
}

/// A node of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    Plan(usize),
    AssignmentGroup(usize),
    Assignment(usize, usize),
    ReportGroup(usize),
    Period(usize, String),
    Report(usize, String, usize),
    AgencyGroup,
    Agency(usize),
}

/// One visible line of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub node: Node,
    pub depth: u16,
    pub expandable: bool,
    pub expanded: bool,
}

impl Node {
    /// The record file a node shows, if it is a record.
    pub fn path(&self, ix: &Index) -> Option<String> {
        Some(match self {
            Node::Plan(p) => layout::plan_path(&ix.plans.get(*p)?.id),
            Node::Assignment(p, a) => {
                let pe = ix.plans.get(*p)?;
                layout::assignment_path(&pe.id, pe.assignments.get(*a)?)
            }
            Node::Report(p, period, a) => {
                let pe = ix.plans.get(*p)?;
                format!(
                    "plans/{}/reports/{period}/{}.toml",
                    pe.id,
                    pe.reports.get(period)?.get(*a)?
                )
            }
            Node::Agency(a) => layout::agency_path(ix.agencies.get(*a)?),
            _ => return None,
        })
    }

    /// The node of the record at `path`, if the index knows it.
    pub fn of_path(ix: &Index, path: &str) -> Option<Node> {
        let kind = layout::classify(path)?;
        let parts: Vec<&str> = path.split('/').collect();
        let plan = |id: &str| ix.plans.iter().position(|p| p.id == id);
        Some(match kind {
            Kind::Agency => {
                let id = layout::id_of(kind, path);
                Node::Agency(ix.agencies.iter().position(|a| *a == id)?)
            }
            Kind::Plan => Node::Plan(plan(parts[1])?),
            Kind::Assignment => {
                let p = plan(parts[1])?;
                let id = layout::id_of(kind, path);
                Node::Assignment(p, ix.plans[p].assignments.iter().position(|a| *a == id)?)
            }
            Kind::Report => {
                let p = plan(parts[1])?;
                let ag = parts[4].trim_end_matches(".toml");
                let i = ix.plans[p]
                    .reports
                    .get(parts[3])?
                    .iter()
                    .position(|a| a == ag)?;
                Node::Report(p, parts[3].to_string(), i)
            }
            Kind::Config => return None,
        })
    }

    /// The nodes to expand so that this one is visible.
    pub fn ancestors(&self) -> Vec<Node> {
        match self {
            Node::Assignment(p, _) => vec![Node::Plan(*p), Node::AssignmentGroup(*p)],
            Node::Report(p, per, _) => vec![
                Node::Plan(*p),
                Node::ReportGroup(*p),
                Node::Period(*p, per.clone()),
            ],
            Node::Period(p, _) => vec![Node::Plan(*p), Node::ReportGroup(*p)],
            Node::AssignmentGroup(p) | Node::ReportGroup(p) => vec![Node::Plan(*p)],
            Node::Agency(_) => vec![Node::AgencyGroup],
            _ => vec![],
        }
    }
}

/// The visible rows for a set of expanded nodes.
pub fn flatten(ix: &Index, expanded: &HashSet<Node>) -> Vec<Row> {
    let mut rows = Vec::new();
    let push = |rows: &mut Vec<Row>, node: Node, depth: u16, expandable: bool| -> bool {
        let open = expandable && expanded.contains(&node);
        rows.push(Row {
            node,
            depth,
            expandable,
            expanded: open,
        });
        open
    };
    for (pi, pe) in ix.plans.iter().enumerate() {
        if !push(&mut rows, Node::Plan(pi), 0, true) {
            continue;
        }
        if push(
            &mut rows,
            Node::AssignmentGroup(pi),
            1,
            !pe.assignments.is_empty(),
        ) {
            for ai in 0..pe.assignments.len() {
                push(&mut rows, Node::Assignment(pi, ai), 2, false);
            }
        }
        if push(&mut rows, Node::ReportGroup(pi), 1, !pe.reports.is_empty()) {
            for (period, ags) in &pe.reports {
                if push(&mut rows, Node::Period(pi, period.clone()), 2, true) {
                    for i in 0..ags.len() {
                        push(&mut rows, Node::Report(pi, period.clone(), i), 3, false);
                    }
                }
            }
        }
    }
    if push(&mut rows, Node::AgencyGroup, 0, !ix.agencies.is_empty()) {
        for i in 0..ix.agencies.len() {
            push(&mut rows, Node::Agency(i), 1, false);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_tree_from_paths() {
        let paths: Vec<String> = [
            "kehoach.toml",
            "agencies/so-y-te.toml",
            "plans/p/plan.toml",
            "plans/p/assignments/a01.toml",
            "plans/p/reports/2025-h1/so-y-te.toml",
        ]
        .map(String::from)
        .to_vec();
        let ix = Index::from_paths(&paths);
        assert_eq!(ix.total, 4);
        let mut exp = HashSet::new();
        assert_eq!(flatten(&ix, &exp).len(), 2);
        let n = Node::of_path(&ix, "plans/p/reports/2025-h1/so-y-te.toml").unwrap();
        exp.extend(n.ancestors());
        let rows = flatten(&ix, &exp);
        assert!(rows.iter().any(|r| r.node == n));
        assert_eq!(
            n.path(&ix).as_deref(),
            Some("plans/p/reports/2025-h1/so-y-te.toml")
        );
    }
}
