//! The result-shape vectors (`tests/vectors/results.json`): one scenario of registry operations
//! whose results and error bodies every surface must answer as the same JSON text. A runner
//! executes each step on its surface and compares the compact JSON it got, with the
//! scenario's ids and the timestamps written as placeholders ([`Placeholders`]), to the
//! step's `expect`, byte for byte.

use serde_json::Value;

/// One step: the operation, its arguments (JSON values, `$cred1`-style placeholders in
/// strings) and the expected compact JSON.
#[derive(Debug, Clone)]
pub struct Step {
    /// The operation (`create_credential`, ...).
    pub op: String,
    /// The whole step object (arguments by name).
    pub args: serde_json::Map<String, Value>,
    /// The expected text; `None` until blessed.
    pub expect: Option<String>,
}

/// The vectors file.
pub fn path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/results.json")
}

/// The steps of the scenario.
pub fn load() -> Vec<Step> {
    let text = std::fs::read_to_string(path()).expect("read tests/vectors/results.json");
    let doc: Value = serde_json::from_str(&text).expect("results.json is JSON");
    doc["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            let args = s.as_object().expect("a step is an object").clone();
            Step {
                op: args["op"].as_str().expect("op").to_owned(),
                expect: args
                    .get("expect")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                args,
            }
        })
        .collect()
}

/// Write the expectations back (`SIPCREDS_BLESS=1`).
pub fn bless(got: &[String]) {
    let text = std::fs::read_to_string(path()).expect("read results.json");
    let mut doc: Value = serde_json::from_str(&text).expect("results.json is JSON");
    for (step, got) in doc["steps"]
        .as_array_mut()
        .expect("steps")
        .iter_mut()
        .zip(got)
    {
        step["expect"] = Value::String(got.clone());
    }
    let mut out = serde_json::to_string_pretty(&doc).expect("serialize");
    out.push('\n');
    std::fs::write(path(), out).expect("write results.json");
}

/// The ids a scenario created, each with its placeholder (`$cred1`, `$agent1`, `$prov1`, in
/// order of first appearance in the outputs).
#[derive(Debug, Default)]
pub struct Placeholders {
    known: Vec<(String, String)>,
}

const KINDS: [(&str, &str); 3] = [("cred_", "cred"), ("agent_", "agent"), ("prov_", "prov")];

fn is_ulid_char(b: u8) -> bool {
    b.is_ascii_digit() || b.is_ascii_uppercase()
}

impl Placeholders {
    /// Learn the new ids in an output text.
    pub fn learn(&mut self, text: &str) {
        let bytes = text.as_bytes();
        for i in 0..bytes.len() {
            for (prefix, kind) in KINDS {
                let end = i + prefix.len() + 26;
                if bytes[i..].starts_with(prefix.as_bytes())
                    && end <= bytes.len()
                    && bytes[i + prefix.len()..end]
                        .iter()
                        .all(|&b| is_ulid_char(b))
                    && (end == bytes.len() || !is_ulid_char(bytes[end]))
                {
                    // ASCII from i to end: char boundaries.
                    let id = &text[i..end];
                    if !self.known.iter().any(|(k, _)| k == id) {
                        let n = self
                            .known
                            .iter()
                            .filter(|(_, p)| p.starts_with(&format!("${kind}")))
                            .count();
                        self.known
                            .push((id.to_owned(), format!("${kind}{}", n + 1)));
                    }
                }
            }
        }
    }

    /// An argument with its placeholders replaced by the ids.
    pub fn input(&self, arg: &str) -> String {
        let mut s = arg.to_owned();
        // Longest placeholder first: `$cred10` before `$cred1`.
        let mut known: Vec<_> = self.known.iter().collect();
        known.sort_by_key(|(_, p)| std::cmp::Reverse(p.len()));
        for (id, p) in known {
            s = s.replace(p.as_str(), id);
        }
        s
    }

    /// A JSON value with its placeholders replaced.
    pub fn input_value(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.input(s)),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.input_value(x)).collect()),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), self.input_value(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// An output text with the ids of a result learned, every known id written as its
    /// placeholder, and every
    /// `YYYY-MM-DDTHH:MM:SSZ` as `$time`.
    /// Only results teach ids: an error may quote an id that never existed.
    pub fn normalize(&mut self, text: &str) -> String {
        if !text.starts_with(r#"{"error""#) {
            self.learn(text);
        }
        let mut s = text.to_owned();
        for (id, p) in &self.known {
            s = s.replace(id.as_str(), p);
        }
        times(&s)
    }
}

fn times(s: &str) -> String {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:ddZ";
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        let fits = i + SHAPE.len() <= b.len()
            && SHAPE.iter().zip(&b[i..]).all(|(&want, &got)| match want {
                b'd' => got.is_ascii_digit(),
                other => other == got,
            });
        if fits {
            out.push_str("$time");
            i += SHAPE.len();
        } else {
            let c = s[i..].chars().next().unwrap_or('\u{fffd}');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The text of a step's argument (a string or a JSON value's compact text).
pub fn arg_text(step: &Step, name: &str, ids: &Placeholders) -> String {
    match step.args.get(name) {
        Some(Value::String(s)) => ids.input(s),
        Some(v) => serde_json::to_string(&ids.input_value(v)).unwrap_or_default(),
        None => panic!("step {} has no {name}", step.op),
    }
}

/// Compare what a surface got with the expectations; bless when asked and this surface is the
/// core. The report names each step that differs.
pub fn compare(surface: &str, steps: &[Step], got: &[String]) -> Result<(), String> {
    let mut failures = Vec::new();
    for (i, (step, got)) in steps.iter().zip(got).enumerate() {
        match &step.expect {
            Some(want) if want == got => {}
            Some(want) => failures.push(format!(
                "step {} ({}):\n   want {want}\n   got  {got}",
                i + 1,
                step.op
            )),
            None => failures.push(format!("step {} ({}) has no expectation", i + 1, step.op)),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{surface}: {} of {} steps differ:\n{}",
            failures.len(),
            steps.len(),
            failures.join("\n")
        ))
    }
}
