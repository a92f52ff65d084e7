//! NDJSON output (`--json`) and the JSON side of `psremote clixml`: the clixml crate's JSON
//! view of a value, with the computer it came from.

use psremote_runtime::clixml::Value;

/// The JSON view of a value (type names kept).
pub fn to_json(v: &Value) -> serde_json::Value {
    psremote_runtime::clixml::json::to_json(v)
}

/// A value from its JSON view.
pub fn from_json(j: &serde_json::Value) -> Result<Value, String> {
    psremote_runtime::clixml::json::from_json(j).map_err(|e| e.to_string())
}

/// One NDJSON line: the value's JSON view with `PSComputerName` added as the note (extended,
/// `"ms"`) property Invoke-Command adds. A primitive becomes an object wrapping it
/// (`{"$value": …, "ms": {"PSComputerName": …}}`), as PowerShell wraps a string that carries a
/// note; the line stays valid input for `psremote clixml encode`.
pub fn ndjson_line(v: &Value, computer: Option<&str>) -> String {
    let mut j = to_json(v);
    if let Some(c) = computer {
        j = with_computer(j, c);
    }
    j.to_string()
}

fn with_computer(j: serde_json::Value, computer: &str) -> serde_json::Value {
    use serde_json::Value as J;
    let mut map = match j {
        // A `{"$ref": n}` back-reference cannot carry members: wrap it like a primitive.
        J::Object(map) if !map.contains_key("$ref") => map,
        other => {
            let mut m = serde_json::Map::new();
            m.insert("$value".into(), other);
            m
        }
    };
    let had_order = map.contains_key("ms_order");
    match map.get_mut("ms") {
        Some(J::Object(ms)) => {
            ms.insert("PSComputerName".into(), computer.into());
        }
        _ => {
            let mut ms = serde_json::Map::new();
            ms.insert("PSComputerName".into(), computer.into());
            map.insert("ms".into(), J::Object(ms));
        }
    }
    if had_order && let Some(J::Array(order)) = map.get_mut("ms_order") {
        order.push("PSComputerName".into());
    }
    J::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use psremote_runtime::clixml::PsObject;

    #[test]
    fn computer_name_is_a_note_property_and_round_trips() {
        let obj = Value::object(
            PsObject::with_type_names(["System.Globalization.CultureInfo", "System.Object"])
                .with_adapted("Name", Value::String("en-US".into())),
        );
        let line = ndjson_line(&obj, Some("host1"));
        let j: serde_json::Value = serde_json::from_str(&line).expect("json");
        assert_eq!(j["ms"]["PSComputerName"], "host1");
        assert_eq!(j["props"]["Name"], "en-US");
        let back = from_json(&j).expect("valid CLIXML JSON");
        assert_eq!(
            back.as_object().and_then(|o| o.get("PSComputerName")),
            Some(&Value::String("host1".into()))
        );

        let line = ndjson_line(&Value::String("plain".into()), Some("h"));
        let j: serde_json::Value = serde_json::from_str(&line).expect("json");
        assert_eq!(j["$value"], "plain");
        assert_eq!(j["ms"]["PSComputerName"], "h");
        assert!(from_json(&j).is_ok());
        assert_eq!(ndjson_line(&Value::I32(5), None), "5");
    }
}
