//! Output rendering like PowerShell's `Out-Default`: plain lines for primitives, the type's
//! default view where PowerShell has one, else a table for objects with up to four properties
//! and a list for more (the formatter's rule when no view or DefaultDisplayPropertySet
//! applies). Consecutive objects of one shape share one table; a new shape starts a new block.

pub mod display;
pub mod json;
pub mod records;
pub mod views;

use std::io::{self, Write};

use psremote_clixml::{ObjContent, PsObject, Value};

use views::{Align, Column, Source, View};

/// Note properties Invoke-Command adds to remote output; shown through `PSComputerName`
/// when several computers answer, never as ordinary columns.
const REMOTING_NOTES: [&str; 3] = ["PSComputerName", "RunspaceId", "PSShowComputerName"];

/// PowerShell picks a table for up to this many properties, a list above.
pub const TABLE_MAX_PROPERTIES: usize = 4;

/// Rows collected before a table without fixed widths is sized and printed (PowerShell
/// likewise looks ahead at the first objects to size columns).
const SIZING_ROWS: usize = 64;

/// How one top-level value is laid out.
#[derive(Debug, Clone, PartialEq)]
pub enum Layout {
    /// One line of text (primitives, enums, objects with nothing but a ToString).
    Line(String),
    /// A table row under a view or an auto-generated set of columns.
    Table { key: String, columns: Vec<Column> },
    /// A `Name : Value` block.
    List {
        key: String,
        properties: Vec<String>,
    },
}

/// Decides the layout of a value as PowerShell's formatter would.
pub fn layout(v: &Value, show_computer: bool) -> Layout {
    let Some(obj) = v.as_object() else {
        return Layout::Line(display::scalar(v));
    };
    if let ObjContent::Value(inner) = &obj.content {
        // Enums and primitives carrying notes (Get-Date's DateTime with DisplayHint).
        return Layout::Line(match &obj.to_string {
            Some(s) => s.clone(),
            None => display::scalar(inner),
        });
    }
    let with_computer = |mut cols: Vec<Column>| {
        if show_computer {
            cols.push(Column {
                header: "PSComputerName".into(),
                width: None,
                align: Some(Align::Left),
                source: Source::Computer,
            });
        }
        cols
    };
    if let Some(View { name, columns }) = views::view_for(obj) {
        return Layout::Table {
            key: format!("view:{name}"),
            columns: with_computer(columns),
        };
    }
    let mut props = visible_properties(obj);
    if let Some(ddps) = views::default_display_properties(obj) {
        let chosen: Vec<String> = ddps
            .iter()
            .filter_map(|d| props.iter().find(|p| p.eq_ignore_ascii_case(d)).cloned())
            .collect();
        if !chosen.is_empty() {
            props = chosen;
        }
    } else if views::is_wmi_object(obj) {
        props.retain(|p| !p.starts_with("__"));
    }
    if props.is_empty() {
        return Layout::Line(display::cell(v));
    }
    let type_key = obj.type_names().first().cloned().unwrap_or_default();
    let key = format!("{type_key}|{}", props.join("|"));
    if props.len() <= TABLE_MAX_PROPERTIES {
        Layout::Table {
            key,
            columns: with_computer(props.iter().map(|p| Column::prop(p)).collect()),
        }
    } else {
        let mut properties = props;
        if show_computer {
            properties.push("PSComputerName".into());
        }
        Layout::List { key, properties }
    }
}

/// The properties a default display shows: adapted then extended, in wire order, without
/// duplicates and without the remoting notes.
pub fn visible_properties(obj: &PsObject) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in obj.adapted.iter().chain(obj.extended.iter()) {
        if REMOTING_NOTES
            .iter()
            .any(|n| n.eq_ignore_ascii_case(&p.name))
        {
            continue;
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&p.name)) {
            out.push(p.name.clone());
        }
    }
    out
}

struct Cell {
    text: String,
    numeric: bool,
}

enum Block {
    Table {
        key: String,
        columns: Vec<Column>,
        /// Set once the header is out.
        widths: Option<Vec<usize>>,
        pending: Vec<Vec<Cell>>,
    },
    List {
        key: String,
    },
}

/// Streams values to a writer, grouping rows into tables and lists.
pub struct Renderer<W: Write> {
    out: W,
    show_computer: bool,
    /// Clip lines to this many columns (the terminal's width), if set.
    max_width: Option<usize>,
    block: Option<Block>,
}

impl<W: Write> Renderer<W> {
    pub fn new(out: W, show_computer: bool) -> Renderer<W> {
        Renderer {
            out,
            show_computer,
            max_width: None,
            block: None,
        }
    }

    /// Clip table lines to a terminal's width.
    pub fn with_max_width(mut self, width: Option<usize>) -> Renderer<W> {
        self.max_width = width.filter(|w| *w > 10);
        self
    }

    /// Renders one output item from `computer`. Collections are enumerated as PowerShell's
    /// pipeline enumerates them; a hashtable shows as a Name/Value table.
    pub fn push(&mut self, v: &Value, computer: Option<&str>) -> io::Result<()> {
        if let Value::Version(ver) = v {
            // System.Version has no view: its four properties make a table (-1 when unset,
            // as .NET reports them).
            let obj = PsObject::with_type_names(["System.Version", "System.Object"])
                .with_adapted("Major", Value::I32(ver.major))
                .with_adapted("Minor", Value::I32(ver.minor))
                .with_adapted("Build", Value::I32(ver.build.unwrap_or(-1)))
                .with_adapted("Revision", Value::I32(ver.revision.unwrap_or(-1)));
            return self.push(&Value::object(obj), computer);
        }
        if let Some(obj) = v.as_object() {
            match &obj.content {
                ObjContent::List(_, items) => {
                    for item in items {
                        self.push(item, computer)?;
                    }
                    return Ok(());
                }
                ObjContent::Dict(entries) => {
                    let key = "dict:Name|Value".to_string();
                    let mut columns = vec![Column::prop("Name"), Column::prop("Value")];
                    if self.show_computer {
                        columns.push(Column {
                            header: "PSComputerName".into(),
                            width: None,
                            align: Some(Align::Left),
                            source: Source::Computer,
                        });
                    }
                    for (k, val) in entries {
                        let mut row = vec![
                            Cell {
                                text: display::cell(k),
                                numeric: display::is_numeric(k),
                            },
                            Cell {
                                text: display::cell(val),
                                numeric: display::is_numeric(val),
                            },
                        ];
                        if self.show_computer {
                            row.push(Cell {
                                text: computer.unwrap_or_default().to_string(),
                                numeric: false,
                            });
                        }
                        self.table_row(&key, &columns, row)?;
                    }
                    return Ok(());
                }
                _ => {}
            }
        }
        match layout(v, self.show_computer) {
            Layout::Line(text) => {
                self.flush()?;
                writeln!(self.out, "{text}")
            }
            Layout::Table { key, columns } => {
                let obj = v.as_object();
                let row = columns
                    .iter()
                    .map(|c| {
                        let (text, numeric) = c.cell(obj, computer);
                        Cell { text, numeric }
                    })
                    .collect();
                self.table_row(&key, &columns, row)
            }
            Layout::List { key, properties } => {
                if !matches!(&self.block, Some(Block::List { key: k }) if *k == key) {
                    self.flush()?;
                    self.block = Some(Block::List { key: key.clone() });
                }
                self.list_entry(v.as_object(), &properties, computer)
            }
        }
    }

    fn table_row(&mut self, key: &str, columns: &[Column], row: Vec<Cell>) -> io::Result<()> {
        let same = matches!(&self.block, Some(Block::Table { key: k, .. }) if k == key);
        if !same {
            self.flush()?;
            self.block = Some(Block::Table {
                key: key.to_string(),
                columns: columns.to_vec(),
                widths: None,
                pending: Vec::new(),
            });
        }
        let Some(Block::Table {
            columns,
            widths,
            pending,
            ..
        }) = &mut self.block
        else {
            return Ok(());
        };
        match widths {
            Some(w) => {
                let line = format_row(columns, w, &row);
                let line = clip(line, self.max_width);
                writeln!(self.out, "{line}")
            }
            None => {
                pending.push(row);
                if pending.len() >= SIZING_ROWS {
                    self.print_pending()?;
                }
                Ok(())
            }
        }
    }

    /// Sizes the table from the rows seen so far, prints the header and those rows.
    fn print_pending(&mut self) -> io::Result<()> {
        let Some(Block::Table {
            columns,
            widths,
            pending,
            ..
        }) = &mut self.block
        else {
            return Ok(());
        };
        if widths.is_some() {
            return Ok(());
        }
        let w = column_widths(columns, pending);
        // Alignment of auto columns follows their content: numbers right, text left.
        for (i, c) in columns.iter_mut().enumerate() {
            if c.align.is_none() {
                let numeric = pending
                    .iter()
                    .filter_map(|r| r.get(i))
                    .filter(|cell| !cell.text.is_empty())
                    .all(|cell| cell.numeric)
                    && pending
                        .iter()
                        .any(|r| r.get(i).is_some_and(|c| !c.text.is_empty()));
                c.align = Some(if numeric { Align::Right } else { Align::Left });
            }
        }
        let header: Vec<Cell> = columns
            .iter()
            .map(|c| Cell {
                text: c.header.clone(),
                numeric: false,
            })
            .collect();
        let dashes: Vec<Cell> = columns
            .iter()
            .map(|c| Cell {
                text: "-".repeat(c.header.chars().count()),
                numeric: false,
            })
            .collect();
        let max = self.max_width;
        writeln!(self.out)?;
        writeln!(self.out, "{}", clip(format_row(columns, &w, &header), max))?;
        writeln!(self.out, "{}", clip(format_row(columns, &w, &dashes), max))?;
        for row in pending.drain(..) {
            writeln!(self.out, "{}", clip(format_row(columns, &w, &row), max))?;
        }
        *widths = Some(w);
        Ok(())
    }

    fn list_entry(
        &mut self,
        obj: Option<&PsObject>,
        properties: &[String],
        computer: Option<&str>,
    ) -> io::Result<()> {
        let label_width = properties
            .iter()
            .map(|p| p.chars().count())
            .max()
            .unwrap_or(0);
        writeln!(self.out)?;
        for p in properties {
            let text = if p == "PSComputerName" && self.show_computer {
                computer.unwrap_or_default().to_string()
            } else {
                obj.and_then(|o| o.get(p))
                    .map(display::cell)
                    .unwrap_or_default()
            };
            // Continuation lines line up under the value, as Format-List does.
            let indent = " ".repeat(label_width + 3);
            let mut lines = text.lines();
            let first = lines.next().unwrap_or("");
            let line = format!("{p:<label_width$} : {first}");
            writeln!(self.out, "{}", line.trim_end())?;
            for more in lines {
                writeln!(self.out, "{indent}{more}")?;
            }
        }
        Ok(())
    }

    /// Ends the current table or list (prints a table still being sized).
    pub fn flush(&mut self) -> io::Result<()> {
        match &self.block {
            Some(Block::Table { .. }) => {
                self.print_pending()?;
                writeln!(self.out)?;
            }
            Some(Block::List { .. }) => writeln!(self.out)?,
            None => {}
        }
        self.block = None;
        self.out.flush()
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.flush()?;
        Ok(self.out)
    }
}

fn column_widths(columns: &[Column], rows: &[Vec<Cell>]) -> Vec<usize> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            c.width.unwrap_or_else(|| {
                rows.iter()
                    .filter_map(|r| r.get(i))
                    .map(|cell| cell.text.chars().count())
                    .chain(std::iter::once(c.header.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
        })
        .collect()
}

/// One line of a table: cells padded (or cut with `...`) to their width, one space between
/// columns; the last column is neither padded nor cut.
fn format_row(columns: &[Column], widths: &[usize], row: &[Cell]) -> String {
    let mut line = String::new();
    let last = columns.len().saturating_sub(1);
    for (i, c) in columns.iter().enumerate() {
        let text = row.get(i).map(|c| c.text.as_str()).unwrap_or("");
        // Table cells are one line.
        let text: String = text
            .chars()
            .map(|ch| if ch == '\n' || ch == '\r' { ' ' } else { ch })
            .collect();
        let width = widths.get(i).copied().unwrap_or(0);
        if i > 0 {
            line.push(' ');
        }
        let align = c.align.unwrap_or(Align::Left);
        if i == last && align == Align::Left {
            line.push_str(&text);
            break;
        }
        // The last column is never cut: it runs to the end of the line.
        let text = if i == last {
            text
        } else {
            truncate(&text, width)
        };
        let pad = width.saturating_sub(text.chars().count());
        match align {
            Align::Left => {
                line.push_str(&text);
                line.extend(std::iter::repeat_n(' ', pad));
            }
            Align::Right => {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(&text);
            }
        }
    }
    line.trim_end().to_string()
}

/// Cuts text to `width` characters, ending in `...` as Windows PowerShell does.
fn truncate(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_string();
    }
    if width <= 3 {
        return text.chars().take(width).collect();
    }
    let mut s: String = text.chars().take(width - 3).collect();
    s.push_str("...");
    s
}

fn clip(line: String, max: Option<usize>) -> String {
    match max {
        Some(m) if line.chars().count() > m => line.chars().take(m).collect(),
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use psremote_clixml::{ListKind, Property};

    fn prop(name: &str, value: Value) -> Property {
        Property {
            name: name.into(),
            value,
        }
    }

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    fn culture(lcid: i32, name: &str, display: &str) -> Value {
        let mut o = PsObject::with_type_names([
            "Deserialized.System.Globalization.CultureInfo",
            "Deserialized.System.Object",
        ]);
        o.to_string = Some(name.into());
        o.adapted = vec![
            prop("Parent", s("en")),
            prop("LCID", Value::I32(lcid)),
            prop("KeyboardLayoutId", Value::I32(lcid)),
            prop("Name", s(name)),
            prop("IetfLanguageTag", s(name)),
            prop("DisplayName", s(display)),
        ];
        Value::object(o)
    }

    fn render(values: &[(Value, Option<&str>)], show_computer: bool) -> String {
        let mut r = Renderer::new(Vec::new(), show_computer);
        for (v, c) in values {
            r.push(v, *c).expect("write to a Vec");
        }
        String::from_utf8(r.finish().expect("flush")).expect("utf-8")
    }

    fn bag(props: &[(&str, Value)]) -> Value {
        let mut o = PsObject::with_type_names([
            "System.Management.Automation.PSCustomObject",
            "System.Object",
        ]);
        o.extended = props.iter().map(|(n, v)| prop(n, v.clone())).collect();
        Value::object(o)
    }

    #[test]
    fn culture_view_with_computer_column() {
        let out = render(
            &[
                (culture(1033, "en-US", "English (United States)"), Some("a")),
                (culture(1033, "en-US", "English (United States)"), Some("b")),
            ],
            true,
        );
        let expected = "\n\
LCID             Name             DisplayName             PSComputerName\n\
----             ----             -----------             --------------\n\
1033             en-US            English (United States) a\n\
1033             en-US            English (United States) b\n\n";
        assert_eq!(out, expected);
    }

    #[test]
    fn culture_view_single_host() {
        let out = render(
            &[(culture(1033, "en-US", "English (United States)"), None)],
            false,
        );
        assert_eq!(
            out,
            "\nLCID             Name             DisplayName\n\
             ----             ----             -----------\n\
             1033             en-US            English (United States)\n\n"
        );
    }

    #[test]
    fn four_properties_make_a_table_five_a_list() {
        let four = bag(&[
            ("a", Value::I32(1)),
            ("bb", s("x")),
            ("c", Value::Bool(true)),
            ("d", s("long value")),
        ]);
        assert!(matches!(layout(&four, false), Layout::Table { .. }));
        let out = render(&[(four, None)], false);
        assert_eq!(out, "\na bb c    d\n- -- -    -\n1 x  True long value\n\n");

        let five = bag(&[
            ("a", Value::I32(1)),
            ("bb", s("x")),
            ("c", Value::Bool(true)),
            ("d", s("two\nlines")),
            ("e", Value::Null),
        ]);
        assert!(matches!(layout(&five, false), Layout::List { .. }));
        let out = render(&[(five, Some("h1"))], true);
        assert_eq!(
            out,
            "\na              : 1\nbb             : x\nc              : True\n\
             d              : two\n                 lines\ne              :\n\
             PSComputerName : h1\n\n"
        );
    }

    #[test]
    fn remoting_notes_do_not_count_as_properties() {
        let v = bag(&[
            ("a", Value::I32(1)),
            ("b", Value::I32(2)),
            ("c", Value::I32(3)),
            ("d", Value::I32(4)),
            ("PSComputerName", s("x")),
            ("RunspaceId", Value::Guid(Default::default())),
            ("PSShowComputerName", Value::Bool(true)),
        ]);
        match layout(&v, false) {
            Layout::Table { columns, .. } => {
                let h: Vec<_> = columns.iter().map(|c| c.header.as_str()).collect();
                assert_eq!(h, ["a", "b", "c", "d"]);
            }
            other => panic!("expected a table, got {other:?}"),
        }
    }

    #[test]
    fn column_widths_follow_the_widest_cell() {
        let rows = [
            bag(&[("Name", s("x")), ("Size", Value::I64(5))]),
            bag(&[
                ("Name", s("a-much-longer-name")),
                ("Size", Value::I64(123456)),
            ]),
        ];
        let out = render(&[(rows[0].clone(), None), (rows[1].clone(), None)], false);
        assert_eq!(
            out,
            "\nName                 Size\n----                 ----\n\
             x                       5\na-much-longer-name 123456\n\n"
        );
    }

    #[test]
    fn fixed_width_views_cut_long_cells() {
        let mut o =
            PsObject::with_type_names(["Deserialized.System.ServiceProcess.ServiceController"]);
        let mut status = PsObject::with_type_names([
            "System.ServiceProcess.ServiceControllerStatus",
            "System.Enum",
        ]);
        status.to_string = Some("Running".into());
        status.content = ObjContent::Value(Value::I32(4));
        o.adapted = vec![
            prop("Name", s("AVeryLongServiceNameIndeed")),
            prop("DisplayName", s("Something")),
            prop("Status", Value::object(status)),
        ];
        let out = render(&[(Value::object(o), None)], false);
        assert_eq!(
            out,
            "\nStatus   Name               DisplayName\n------   ----               -----------\n\
             Running  AVeryLongServic... Something\n\n"
        );
    }

    #[test]
    fn process_view_right_aligns() {
        let mut o = PsObject::with_type_names(["Deserialized.System.Diagnostics.Process"]);
        o.adapted = vec![
            prop("Handles", Value::I32(224)),
            prop("NPM", Value::I64(14 * 1024)),
            prop("PM", Value::I64(2760 * 1024)),
            prop("WS", Value::I64(11232 * 1024)),
            prop("CPU", Value::Double(0.046875)),
            prop("Id", Value::I32(4448)),
            prop("SI", Value::I32(1)),
            prop("ProcessName", s("AppVShNotify")),
        ];
        let out = render(&[(Value::object(o), None)], false);
        assert_eq!(
            out,
            "\nHandles  NPM(K)    PM(K)      WS(K)     CPU(s)     Id  SI ProcessName\n\
             -------  ------    -----      -----     ------     --  -- -----------\n    \
             224      14     2760      11232       0.05   4448   1 AppVShNotify\n\n"
        );
    }

    #[test]
    fn primitives_print_plainly_and_break_tables() {
        let out = render(
            &[
                (s("hello"), Some("a")),
                (Value::I32(42), Some("b")),
                (bag(&[("x", Value::I32(1))]), Some("a")),
                (s("after"), Some("a")),
            ],
            true,
        );
        assert_eq!(
            out,
            "hello\n42\n\nx PSComputerName\n- --------------\n1 a\n\nafter\n"
        );
    }

    #[test]
    fn lists_are_enumerated_and_hashtables_show_name_value() {
        let mut list = PsObject::with_type_names(["System.Object[]"]);
        list.content = ObjContent::List(ListKind::List, vec![s("a"), s("b")]);
        let mut dict = PsObject::with_type_names(["System.Collections.Hashtable"]);
        dict.content = ObjContent::Dict(vec![(s("k"), Value::I32(1)), (s("key2"), s("v"))]);
        let out = render(
            &[(Value::object(list), None), (Value::object(dict), None)],
            false,
        );
        assert_eq!(out, "a\nb\n\nName Value\n---- -----\nk    1\nkey2 v\n\n");
    }

    #[test]
    fn new_shape_starts_new_table() {
        let out = render(
            &[
                (bag(&[("a", Value::I32(1))]), None),
                (bag(&[("b", Value::I32(2))]), None),
            ],
            false,
        );
        assert_eq!(out, "\na\n-\n1\n\n\nb\n-\n2\n\n");
    }

    #[test]
    fn long_tables_stream_after_sizing() {
        let rows: Vec<(Value, Option<&str>)> = (0..200)
            .map(|i| (bag(&[("n", Value::I32(i))]), None))
            .collect();
        let out = render(&rows, false);
        assert_eq!(out.lines().filter(|l| !l.is_empty()).count(), 202);
        // Sized on the first 64 rows (widths 2); later wider numbers still print in full.
        assert!(out.contains("\n199\n"));
    }

    #[test]
    fn wmi_objects_use_their_display_set() {
        let mut o = PsObject::with_type_names([
            "System.Management.ManagementObject#root\\cimv2\\Win32_OperatingSystem",
            "System.Management.ManagementObject",
            "System.Management.ManagementBaseObject",
        ]);
        o.adapted = vec![
            prop("__GENUS", Value::I32(2)),
            prop("Caption", s("Windows")),
            prop("BuildNumber", s("20348")),
            prop("Version", s("10.0.20348")),
        ];
        match layout(&Value::object(o.clone()), false) {
            Layout::Table { columns, .. } => {
                let h: Vec<_> = columns.iter().map(|c| c.header.as_str()).collect();
                assert_eq!(h, ["BuildNumber", "Version"]);
            }
            other => panic!("{other:?}"),
        }
        o.type_names = Some(
            vec![
                "System.Management.ManagementObject#root\\cimv2\\Win32_Foo".to_string(),
                "System.Management.ManagementBaseObject".to_string(),
            ]
            .into(),
        );
        match layout(&Value::object(o), false) {
            Layout::Table { columns, .. } => {
                assert!(columns.iter().all(|c| !c.header.starts_with("__")));
                assert_eq!(columns.len(), 3);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn versions_show_as_a_table() {
        let v = Value::Version(psremote_clixml::Version::new4(5, 1, 20348, 2849));
        assert_eq!(
            render(&[(v, None)], false),
            "\nMajor Minor Build Revision\n----- ----- ----- --------\n    5     1 20348     2849\n\n"
        );
    }

    #[test]
    fn truncation_and_clipping() {
        assert_eq!(truncate("abcdefgh", 6), "abc...");
        assert_eq!(truncate("abc", 6), "abc");
        assert_eq!(clip("abcdef".into(), Some(3)), "abc");
    }
}
