//! Every user-visible string of the terminal UI, in Vietnamese and English, in one place.

/// The language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    Vi,
    #[default]
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("vi") {
            Some(Lang::Vi)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language a locale value (`vi_VN.UTF-8`, `C.UTF-8`) asks for.
    pub fn from_locale(value: &str) -> Lang {
        if value.to_ascii_lowercase().starts_with("vi") {
            Lang::Vi
        } else {
            Lang::En
        }
    }
}

macro_rules! strings {
    ($($name:ident => $vi:expr, $en:expr;)*) => {
        /// A message of the interface.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum S { $($name),* }
        impl S {
            pub fn get(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((S::$name, Lang::Vi) => $vi, (S::$name, Lang::En) => $en,)*
                }
            }
        }
    };
}

strings! {
    // Panes and groups.
    Records => "Hồ sơ", "Records";
    Detail => "Chi tiết", "Detail";
    Assignments => "Nhiệm vụ được giao", "Assignments";
    Reports => "Báo cáo", "Reports";
    Agencies => "Cơ quan", "Agencies";
    Plan => "Kế hoạch", "Plan";
    Loading => "đang tải…", "loading…";
    NoRecord => "Chọn một hồ sơ ở bên trái.", "Select a record on the left.";
    Empty => "(trống)", "(empty)";
    Unreadable => "Không đọc được hồ sơ này", "This record cannot be read";
    // Status bar.
    Branch => "nhánh", "branch";
    Uncommitted => "chưa commit", "uncommitted";
    NoUpstream => "chưa có nhánh theo dõi", "no upstream";
    HelpHint => "?: trợ giúp", "?: help";
    HintSearch => "tìm", "search";
    HintEdit => "sửa", "edit";
    HintHistory => "lịch sử", "history";
    HintHelp => "trợ giúp", "help";
    HintNext => "trường sau", "next field";
    HintSave => "lưu", "save";
    HintLeave => "thoát", "leave";
    HintPick => "chọn", "pick";
    HintCommit => "commit", "commit";
    HintBackToForm => "quay lại", "back";
    // Help.
    HelpTitle => "Phím tắt", "Keys";
    HelpClose => "Esc hoặc ? để đóng", "Esc or ? to close";
    // Actions (help lines).
    ActUp => "lên", "up";
    ActDown => "xuống", "down";
    ActCollapse => "thu gọn / lên mục cha", "collapse / go to parent";
    ActExpand => "mở rộng", "expand";
    ActOpen => "mở / thu gọn", "open / toggle";
    ActTop => "đầu danh sách", "first item";
    ActBottom => "cuối danh sách", "last item";
    ActPageUp => "lên một trang", "page up";
    ActPageDown => "xuống một trang", "page down";
    ActFocus => "chuyển khung", "switch pane";
    ActSearch => "tìm kiếm", "search";
    ActHelp => "trợ giúp", "help";
    ActQuit => "thoát", "quit";
    ActBack => "quay lại", "back";
    ActEdit => "sửa hồ sơ (biểu mẫu)", "edit record (form)";
    ActEditExternal => "sửa bằng $EDITOR", "edit in $EDITOR";
    ActHistory => "lịch sử hồ sơ", "record history";
    ActBlame => "ai sửa từng trường", "who changed each field (blame)";
    ActAsOf => "xem hồ sơ tại commit này", "view record as of this commit";
    ActCopyId => "chép mã hồ sơ (OSC 52)", "copy record id (OSC 52)";
    ActCopyPath => "chép đường dẫn (OSC 52)", "copy record path (OSC 52)";
    ActReviews => "yêu cầu duyệt", "review requests";
    ActDashboard => "theo dõi tiến độ", "progress dashboard";
    ActRefresh => "tải lại", "reload";
    ActSuspend => "tạm dừng (Ctrl-Z)", "suspend (Ctrl-Z)";
    ActNextField => "trường sau", "next field";
    ActPrevField => "trường trước", "previous field";
    ActSave => "lưu", "save";
    ActPick => "chọn từ danh sách", "pick from a list";
    ActCommit => "commit", "commit";
    ActFilter => "đổi bộ lọc loại hồ sơ", "change the kind filter";
    ActJump => "mở hồ sơ", "open the record";
    ActYes => "đồng ý", "yes";
    ActNo => "không", "no";
    ActReopen => "mở lại trình soạn thảo", "reopen the editor";
    ActDiff => "xem thay đổi của commit", "show the commit's changes";
    // Form.
    EditTitle => "Sửa", "Edit";
    Required => "không được để trống", "must not be empty";
    BadDate => "không phải ngày YYYY-MM-DD", "is not a date YYYY-MM-DD";
    BadDue => "không phải hạn: ngày (2025-12-15), continuous, yearly:MM-DD, half-yearly:MM-DD, quarterly:MM-DD, monthly:DD", "is not a due date: a date (2025-12-15), continuous, yearly:MM-DD, half-yearly:MM-DD, quarterly:MM-DD or monthly:DD";
    BadPercent => "phải là số từ 0 đến 100", "must be a number from 0 to 100";
    BadChoice => "không phải giá trị được phép", "is not one of the allowed values";
    UnknownAgency => "không có cơ quan này", "no such agency";
    BadPeriod => "không phải kỳ (2025, 2025-h1, 2025-q3, 2025-06)", "is not a period (2025, 2025-h1, 2025-q3, 2025-06)";
    NoChanges => "Không có thay đổi nào để lưu.", "Nothing changed.";
    FixErrors => "Hãy sửa các lỗi được đánh dấu trước khi lưu.", "Fix the marked errors before saving.";
    PickTitle => "Chọn (gõ để lọc, Enter chọn, Esc đóng)", "Pick (type to filter, Enter picks, Esc closes)";
    // Confirm.
    ConfirmTitle => "Xác nhận lưu", "Confirm save";
    Changes => "Các trường thay đổi", "Fields changed";
    CommitMessage => "Nội dung commit (có thể sửa)", "Commit message (editable)";
    Committed => "Đã commit", "Committed";
    // Questions.
    DiscardQ => "Bỏ các thay đổi chưa lưu? (y: bỏ · n: ở lại)", "Discard unsaved changes? (y: discard · n: stay)";
    QuitQ => "Có thay đổi chưa lưu. Vẫn thoát? (y/n)", "There are unsaved changes. Quit anyway? (y/n)";
    EditorInvalid => "Bản sửa có lỗi; chưa ghi gì. r: mở lại để sửa · Esc: bỏ bản sửa", "The edited text has problems; nothing was written. r: reopen to fix · Esc: discard it";
    EditorNoChange => "Không có thay đổi từ trình soạn thảo.", "No change from the editor.";
    EditorFailed => "Không chạy được trình soạn thảo", "Cannot run the editor";
    // Search.
    SearchTitle => "Tìm kiếm", "Search";
    // Fits an 80-column status bar after the repository and branch.
    IndexInPieces => "Chỉ mục tìm kiếm chia nhiều phần: `kehoach index` gộp lại", "Search index in pieces: `kehoach index` merges them";
    SearchHint => "gõ để tìm · ↑↓ chọn · Enter mở · Tab lọc loại · Esc đóng", "type to search · ↑↓ select · Enter opens · Tab filters kind · Esc closes";
    AllKinds => "mọi loại", "all kinds";
    NoResults => "Không tìm thấy.", "No results.";
    Results => "kết quả", "results";
    IndexDamaged => "Chỉ mục tìm kiếm bị hỏng, đang lập lại", "The search index is damaged; building it again";
    TitlesOnlyNoIndex => "chỉ tìm trong tiêu đề: không mở được chỉ mục toàn văn", "titles only: the full-text index could not be opened";
    TitlesOnly => "chỉ tìm trong tiêu đề khi đang lập chỉ mục toàn văn…", "titles only while the full-text index is built…";
    // History.
    HistoryTitle => "Lịch sử", "History";
    BlameTitle => "Ai sửa từng trường", "Blame";
    AsOfTitle => "Hồ sơ tại commit", "Record as of commit";
    DiffTitle => "Thay đổi của commit", "Commit changes";
    NoHistory => "Chưa có lịch sử cho hồ sơ này.", "No history for this record.";
    NotAvailable => "Chức năng này chưa có trong bản dựng này.", "This is not available in this build.";
    // Reviews and dashboard.
    ReviewsTitle => "Yêu cầu duyệt", "Review requests";
    NoReviews => "Không có yêu cầu duyệt nào đang mở.", "No open review requests.";
    Approvals => "lượt duyệt", "approval(s)";
    Today => "Hôm nay", "Today";
    DoneWord => "xong", "done";
    InProgressWord => "đang làm", "in progress";
    OverdueWord => "quá hạn", "overdue";
    OverdueTitle => "Nhiệm vụ quá hạn", "Overdue assignments";
    DashboardTitle => "Theo dõi tiến độ", "Progress";
    // Messages.
    Copied => "Đã chép", "Copied";
    Reloaded => "Đã tải lại", "Reloaded";
    Error => "Lỗi", "Error";
}

/// A kind of record, named in the interface language (the query language's `kind:` values
/// stay English).
pub fn kind_name(lang: Lang, kind: crate::store::Kind) -> &'static str {
    use crate::store::Kind;
    match (lang, kind) {
        (Lang::En, k) => k.as_str(),
        (Lang::Vi, Kind::Config) => "cấu hình",
        (Lang::Vi, Kind::Agency) => "cơ quan",
        (Lang::Vi, Kind::Plan) => "kế hoạch",
        (Lang::Vi, Kind::Assignment) => "nhiệm vụ",
        (Lang::Vi, Kind::Report) => "báo cáo",
    }
}

/// A field's name in the interface language, when it has one (`due` → `Hạn`).
pub fn field_label(lang: Lang, field: &str) -> Option<&'static str> {
    let last = field.rsplit('.').next().unwrap_or(field);
    let (vi, en) = match last {
        "title" => ("Tiêu đề", "Title"),
        "description" => ("Mô tả", "Description"),
        "output" => ("Sản phẩm", "Output"),
        "lead" => ("Cơ quan chủ trì", "Lead agency"),
        "coordinating" => ("Cơ quan phối hợp", "Coordinating"),
        "tasks" => ("Nhiệm vụ", "Tasks"),
        "due" => ("Hạn", "Due"),
        "status" => ("Trạng thái", "Status"),
        "source" => ("Nguồn (mục)", "Source"),
        "notes" => ("Ghi chú", "Notes"),
        "summary" => ("Tóm tắt", "Summary"),
        "submitted_on" => ("Ngày gửi", "Submitted on"),
        "percent" => ("Tỷ lệ hoàn thành %", "Percent done"),
        "results" => ("Kết quả", "Results"),
        "difficulties" => ("Khó khăn", "Difficulties"),
        "proposals" => ("Kiến nghị", "Proposals"),
        "name" => ("Tên", "Name"),
        "short_name" => ("Tên ngắn", "Short name"),
        "kind" => ("Loại", "Kind"),
        "parent" => ("Cơ quan cấp trên", "Parent"),
        "valid_from" => ("Hiệu lực từ", "Valid from"),
        "valid_until" => ("Hiệu lực đến", "Valid until"),
        "successor" => ("Cơ quan kế thừa", "Successor"),
        "number" => ("Số", "Number"),
        "symbol" => ("Ký hiệu", "Symbol"),
        "date" => ("Ngày", "Date"),
        "place" => ("Địa danh", "Place"),
        "issuer" => ("Cơ quan ban hành", "Issuer"),
        "preamble" => ("Mở đầu", "Preamble"),
        "funding" => ("Kinh phí", "Funding"),
        "closing" => ("Kết thúc", "Closing"),
        "on_behalf_of" => ("Thay mặt", "On behalf of"),
        "text" => ("Nội dung", "Text"),
        _ => return None,
    };
    Some(match lang {
        Lang::Vi => vi,
        Lang::En => en,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_from_locale() {
        assert_eq!(Lang::from_locale("vi_VN.UTF-8"), Lang::Vi);
        assert_eq!(Lang::from_locale("C.UTF-8"), Lang::En);
        assert_eq!(Lang::parse("VI"), Some(Lang::Vi));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(S::ActSearch.get(Lang::Vi), "tìm kiếm");
    }
}
