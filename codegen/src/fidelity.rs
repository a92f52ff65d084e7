//! How much of a catalog the generated API types: % parameters with a concrete Rust type,
//! % mandatory parameters enforced at compile time, % outputs typed, and every fallback with
//! its reason. Computed from the generator's own plan, not estimated.

use std::collections::BTreeMap;
use std::fmt;

use crate::generate::{Generated, OutputMapping, ParamMapping};

/// The report for one catalog.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub commands: usize,
    pub parameters: usize,
    pub typed_parameters: usize,
    /// Parameters left dynamic because the command itself declares them `object`/`PSObject`:
    /// `impl ToValue` is then exactly as typed as the declaration.
    pub declared_dynamic: usize,
    /// Parameters by mapping kind (`Switch`, `Primitive`, `NominalClass`…).
    pub by_mapping: BTreeMap<String, usize>,
    pub mandatory: usize,
    pub mandatory_enforced: usize,
    /// Commands that declare an output type.
    pub outputs_declared: usize,
    /// Of those: typed by a primitive, enum or struct with fields.
    pub outputs_typed: usize,
    /// Of those: typed by a nominal struct (no fields known).
    pub outputs_nominal: usize,
    /// (command, parameter, reason) for each parameter left dynamic.
    pub parameter_fallbacks: Vec<(String, String, String)>,
    /// (command, reason) for each output left dynamic.
    pub output_fallbacks: Vec<(String, String)>,
    /// (command, reason) for each command not generated.
    pub skipped: Vec<(String, String)>,
}

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        100.0
    } else {
        // Counts are far below 2^52: exact in f64.
        #[allow(clippy::cast_precision_loss)]
        let r = n as f64 * 100.0 / d as f64;
        r
    }
}

impl Report {
    pub fn typed_parameters_pct(&self) -> f64 {
        pct(self.typed_parameters, self.parameters)
    }
    /// Parameters typed as precisely as their .NET declaration (concrete, or declared object).
    pub fn faithful_parameters_pct(&self) -> f64 {
        pct(
            self.typed_parameters + self.declared_dynamic,
            self.parameters,
        )
    }
    pub fn mandatory_enforced_pct(&self) -> f64 {
        pct(self.mandatory_enforced, self.mandatory)
    }
    pub fn outputs_typed_pct(&self) -> f64 {
        pct(
            self.outputs_typed + self.outputs_nominal,
            self.outputs_declared,
        )
    }
}

/// Builds the report from a generation's facts.
pub fn report(g: &Generated) -> Report {
    let mut r = Report {
        skipped: g.skipped.clone(),
        ..Report::default()
    };
    for c in &g.stats {
        r.commands += 1;
        for (p, m) in &c.parameters {
            r.parameters += 1;
            let key = match m {
                ParamMapping::Dynamic(_) => "Dynamic".to_owned(),
                other => format!("{other:?}"),
            };
            *r.by_mapping.entry(key).or_default() += 1;
            if m.is_typed() {
                r.typed_parameters += 1;
            } else if let ParamMapping::Dynamic(reason) = m {
                if reason.starts_with("declared as ") {
                    r.declared_dynamic += 1;
                }
                r.parameter_fallbacks
                    .push((c.name.clone(), p.clone(), reason.clone()));
            }
        }
        for (_, _, enforced) in &c.mandatory {
            r.mandatory += 1;
            if *enforced {
                r.mandatory_enforced += 1;
            }
        }
        match &c.output {
            OutputMapping::Undeclared => {}
            OutputMapping::Typed => {
                r.outputs_declared += 1;
                r.outputs_typed += 1;
            }
            OutputMapping::Nominal => {
                r.outputs_declared += 1;
                r.outputs_nominal += 1;
            }
            OutputMapping::Dynamic(reason) => {
                r.outputs_declared += 1;
                r.output_fallbacks.push((c.name.clone(), reason.clone()));
            }
        }
    }
    r
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "commands generated: {}", self.commands)?;
        writeln!(
            f,
            "parameters with a concrete Rust type: {}/{} ({:.1}%)",
            self.typed_parameters,
            self.parameters,
            self.typed_parameters_pct()
        )?;
        writeln!(
            f,
            "parameters typed as precisely as declared (concrete, or declared object/PSObject): {}/{} ({:.1}%)",
            self.typed_parameters + self.declared_dynamic,
            self.parameters,
            self.faithful_parameters_pct()
        )?;
        for (k, n) in &self.by_mapping {
            writeln!(f, "  {k}: {n}")?;
        }
        writeln!(
            f,
            "mandatory parameters enforced at compile time: {}/{} ({:.1}%)",
            self.mandatory_enforced,
            self.mandatory,
            self.mandatory_enforced_pct()
        )?;
        writeln!(
            f,
            "outputs typed: {}/{} declared ({:.1}%; {} with fields or primitive, {} nominal)",
            self.outputs_typed + self.outputs_nominal,
            self.outputs_declared,
            self.outputs_typed_pct(),
            self.outputs_typed,
            self.outputs_nominal
        )?;
        if !self.parameter_fallbacks.is_empty() {
            writeln!(f, "parameters left dynamic:")?;
            let mut reasons: BTreeMap<&str, Vec<String>> = BTreeMap::new();
            for (c, p, why) in &self.parameter_fallbacks {
                reasons.entry(why).or_default().push(format!("{c} -{p}"));
            }
            for (why, who) in reasons {
                const SHOWN: usize = 12;
                let more = who.len().saturating_sub(SHOWN);
                let list = who
                    .iter()
                    .take(SHOWN)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ");
                if more > 0 {
                    writeln!(f, "  {why} ({}): {list}, … and {more} more", who.len())?;
                } else {
                    writeln!(f, "  {why} ({}): {list}", who.len())?;
                }
            }
        }
        if !self.output_fallbacks.is_empty() {
            writeln!(f, "outputs left dynamic:")?;
            for (c, why) in &self.output_fallbacks {
                writeln!(f, "  {c}: {why}")?;
            }
        }
        if !self.skipped.is_empty() {
            writeln!(f, "commands not generated:")?;
            for (c, why) in &self.skipped {
                writeln!(f, "  {c}: {why}")?;
            }
        }
        Ok(())
    }
}
