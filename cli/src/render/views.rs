//! The default table views PowerShell ships for the types remoting users see most
//! (DotNetTypes.format.ps1xml / the CIM format files), keyed by the live type name; a
//! `Deserialized.` prefix is ignored when matching, as the remoting formatter does.

use psremote_clixml::{PsObject, Value};

use super::display::{self, strip_deserialized};

/// Left or right alignment of a column's header and cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Where a column's text comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The first of these properties present (alias properties such as a Process's `WS` may
    /// arrive under their target's name).
    Prop(Vec<String>),
    /// A byte count shown in KiB, rounded, like the Process view's `[long]($_.WS / 1024)`.
    KiB(Vec<String>),
    /// Seconds with two decimals (the Process view's `$_.CPU.ToString("N")`).
    Seconds(Vec<String>),
    /// The computer the item came from (PSComputerName).
    Computer,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    /// A fixed width from the view; `None` sizes the column to its content.
    pub width: Option<usize>,
    /// `None`: right for numbers, left otherwise.
    pub align: Option<Align>,
    pub source: Source,
}

impl Column {
    pub fn prop(name: &str) -> Column {
        Column {
            header: name.to_string(),
            width: None,
            align: None,
            source: Source::Prop(vec![name.to_string()]),
        }
    }

    fn fixed(header: &str, width: Option<usize>, align: Option<Align>, source: Source) -> Column {
        Column {
            header: header.to_string(),
            width,
            align,
            source,
        }
    }

    /// The cell text, and whether it is a number (for alignment).
    pub fn cell(&self, obj: Option<&PsObject>, computer: Option<&str>) -> (String, bool) {
        let find = |names: &Vec<String>| -> Option<&Value> {
            let o = obj?;
            names.iter().find_map(|n| o.get(n))
        };
        match &self.source {
            Source::Computer => (computer.unwrap_or_default().to_string(), false),
            Source::Prop(names) => match find(names) {
                Some(v) => (display::cell(v), display::is_numeric(v)),
                None => (String::new(), false),
            },
            Source::KiB(names) => match find(names).and_then(as_f64) {
                Some(n) => (format!("{}", (n / 1024.0).round() as i64), true),
                None => (String::new(), true),
            },
            Source::Seconds(names) => match find(names).and_then(as_f64) {
                Some(n) if n != 0.0 => (group_thousands(n), true),
                _ => (String::new(), true),
            },
        }
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A number as f64, from any numeric primitive (or an object wrapping one).
pub fn as_f64(v: &Value) -> Option<f64> {
    Some(match v {
        Value::U8(n) => f64::from(*n),
        Value::I8(n) => f64::from(*n),
        Value::U16(n) => f64::from(*n),
        Value::I16(n) => f64::from(*n),
        Value::U32(n) => f64::from(*n),
        Value::I32(n) => f64::from(*n),
        Value::U64(n) => *n as f64,
        Value::I64(n) => *n as f64,
        Value::Float(n) => f64::from(*n),
        Value::Double(n) => *n,
        Value::Decimal(d) => d.0.parse().ok()?,
        Value::Object(o) => match &o.content {
            psremote_clixml::ObjContent::Value(inner) => return as_f64(inner),
            _ => return None,
        },
        _ => return None,
    })
}

/// .NET's `N` format (two decimals, thousands separators): `1,234.50`.
fn group_thousands(n: f64) -> String {
    let s = format!("{:.2}", n.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{frac}", if n < 0.0 { "-" } else { "" })
}

/// A named table view.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub name: &'static str,
    pub columns: Vec<Column>,
}

/// The view for an object's type names, if PowerShell has a simple default table for it.
pub fn view_for(obj: &PsObject) -> Option<View> {
    obj.type_names()
        .iter()
        .find_map(|t| view_for_type(strip_deserialized(t)))
}

fn view_for_type(t: &str) -> Option<View> {
    use Align::{Left, Right};
    let p = |n: &[&str]| Source::Prop(names(n));
    let view = match t {
        "System.Globalization.CultureInfo" => View {
            name: "CultureInfo",
            columns: vec![
                Column::fixed("LCID", Some(16), Some(Left), p(&["LCID"])),
                Column::fixed("Name", Some(16), Some(Left), p(&["Name"])),
                Column::fixed("DisplayName", None, Some(Left), p(&["DisplayName"])),
            ],
        },
        "System.ServiceProcess.ServiceController" => View {
            name: "ServiceController",
            columns: vec![
                Column::fixed("Status", Some(8), Some(Left), p(&["Status"])),
                Column::fixed("Name", Some(18), Some(Left), p(&["Name", "ServiceName"])),
                Column::fixed("DisplayName", None, Some(Left), p(&["DisplayName"])),
            ],
        },
        "System.Diagnostics.Process" => View {
            name: "Process",
            columns: vec![
                Column::fixed(
                    "Handles",
                    Some(7),
                    Some(Right),
                    p(&["Handles", "HandleCount"]),
                ),
                Column::fixed(
                    "NPM(K)",
                    Some(7),
                    Some(Right),
                    Source::KiB(names(&["NPM", "NonpagedSystemMemorySize64"])),
                ),
                Column::fixed(
                    "PM(K)",
                    Some(8),
                    Some(Right),
                    Source::KiB(names(&["PM", "PagedMemorySize64"])),
                ),
                Column::fixed(
                    "WS(K)",
                    Some(10),
                    Some(Right),
                    Source::KiB(names(&["WS", "WorkingSet64"])),
                ),
                Column::fixed(
                    "CPU(s)",
                    Some(10),
                    Some(Right),
                    Source::Seconds(names(&["CPU"])),
                ),
                Column::fixed("Id", Some(6), Some(Right), p(&["Id"])),
                Column::fixed("SI", Some(3), Some(Right), p(&["SI", "SessionId"])),
                Column::fixed("ProcessName", None, Some(Left), p(&["ProcessName", "Name"])),
            ],
        },
        // Get-HotFix: Win32_QuickFixEngineering as WMI (5.1) or CIM objects.
        t if t.ends_with("Win32_QuickFixEngineering") => View {
            name: "HotFix",
            columns: vec![
                Column::fixed("Source", Some(13), Some(Left), p(&["Source", "CSName"])),
                Column::fixed("Description", Some(16), Some(Left), p(&["Description"])),
                Column::fixed("HotFixID", Some(13), Some(Left), p(&["HotFixID"])),
                Column::fixed("InstalledBy", Some(20), Some(Left), p(&["InstalledBy"])),
                Column::fixed("InstalledOn", None, Some(Left), p(&["InstalledOn"])),
            ],
        },
        "System.Diagnostics.EventLogEntry" => View {
            name: "EventLogEntry",
            columns: vec![
                Column::fixed("Index", Some(8), Some(Right), p(&["Index"])),
                Column::fixed("Time", Some(13), Some(Left), p(&["TimeGenerated", "Time"])),
                Column::fixed("EntryType", Some(11), Some(Left), p(&["EntryType"])),
                Column::fixed("Source", Some(20), Some(Left), p(&["Source"])),
                Column::fixed("InstanceID", Some(12), Some(Right), p(&["InstanceId"])),
                Column::fixed("Message", None, Some(Left), p(&["Message"])),
            ],
        },
        "System.Management.Automation.CommandInfo"
        | "System.Management.Automation.CmdletInfo"
        | "System.Management.Automation.FunctionInfo"
        | "System.Management.Automation.AliasInfo" => View {
            name: "CommandInfo",
            columns: vec![
                Column::fixed("CommandType", Some(15), Some(Left), p(&["CommandType"])),
                Column::fixed("Name", Some(50), Some(Left), p(&["Name"])),
                Column::fixed("Version", Some(10), Some(Left), p(&["Version"])),
                Column::fixed("Source", None, Some(Left), p(&["Source", "ModuleName"])),
            ],
        },
        _ => return None,
    };
    Some(view)
}

/// DefaultDisplayPropertySet of the WMI classes remoting users list most (types.ps1xml's
/// PSStandardMembers): what `Format-*` shows by default instead of every property.
pub fn default_display_properties(obj: &PsObject) -> Option<&'static [&'static str]> {
    let class = obj.type_names().first().map(|t| strip_deserialized(t))?;
    let class = class.rsplit(['\\', '/']).next().unwrap_or(class);
    Some(match class {
        "Win32_OperatingSystem" => &[
            "SystemDirectory",
            "Organization",
            "BuildNumber",
            "RegisteredUser",
            "SerialNumber",
            "Version",
        ],
        "Win32_LogicalDisk" => &[
            "DeviceID",
            "DriveType",
            "ProviderName",
            "FreeSpace",
            "Size",
            "VolumeName",
        ],
        "Win32_Service" => &[
            "ExitCode",
            "Name",
            "ProcessId",
            "StartMode",
            "State",
            "Status",
        ],
        "Win32_BIOS" => &[
            "SMBIOSBIOSVersion",
            "Manufacturer",
            "Name",
            "SerialNumber",
            "Version",
        ],
        _ => return None,
    })
}

/// Whether an object is a WMI/CIM instance, whose `__` system properties PowerShell keeps
/// out of the default display.
pub fn is_wmi_object(obj: &PsObject) -> bool {
    obj.type_names().iter().any(|t| {
        let t = strip_deserialized(t);
        t == "System.Management.ManagementBaseObject"
            || t == "Microsoft.Management.Infrastructure.CimInstance"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_deserialized_names() {
        let o = PsObject::with_type_names([
            "Deserialized.System.Globalization.CultureInfo",
            "Deserialized.System.Object",
        ]);
        assert_eq!(view_for(&o).map(|v| v.name), Some("CultureInfo"));
        let o = PsObject::with_type_names([
            "System.Management.ManagementObject#root\\cimv2\\Win32_QuickFixEngineering",
        ]);
        assert_eq!(view_for(&o).map(|v| v.name), Some("HotFix"));
        assert!(view_for(&PsObject::with_type_names(["System.Object"])).is_none());
    }

    #[test]
    fn n_format() {
        assert_eq!(group_thousands(1234.5), "1,234.50");
        assert_eq!(group_thousands(0.05), "0.05");
        assert_eq!(group_thousands(1_000_000.0), "1,000,000.00");
    }
}
