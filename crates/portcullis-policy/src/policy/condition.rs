//! CEL conditions over an attestation's predicate (`cel` crate, from cel-rust).
//!
//! Compiled when the policy loads, so a typo is a load error with its position, never a
//! surprise at verification time. At load an expression must:
//! - parse (at most 4096 characters, brackets nested at most 32 deep: the parser is
//!   recursive, and a bound keeps hostile input from exhausting the stack);
//! - use no variable but `predicate` (and those its macros bind, as `x` in
//!   `predicate.materials.all(x, x.uri != "")`);
//! - not be evidently non-boolean (`size(predicate.materials)`, `"text"`, `a + b`). CEL has
//!   no static types here, so an expression whose type depends on the predicate passes the
//!   load check; evaluating it to anything but a boolean is then an error (fail closed).

use std::fmt;
use std::sync::Arc;

use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue, operators};

/// The variable a condition reads.
pub const PREDICATE_VARIABLE: &str = "predicate";
const MAX_LEN: usize = 4096;
const MAX_NESTING: usize = 32;

/// A compiled condition.
#[derive(Clone)]
pub struct Condition {
    source: String,
    program: Arc<cel::Program>,
}

/// Why a condition does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConditionError {
    /// Not valid CEL.
    #[error("CEL expression does not compile: {message}")]
    Syntax {
        /// What the parser said, with the column.
        message: String,
    },
    /// Longer or deeper than the bounds.
    #[error(
        "CEL expression is too large (at most {MAX_LEN} characters, brackets nested at most {MAX_NESTING} deep)"
    )]
    TooLarge,
    /// A variable other than `predicate`.
    #[error("CEL expression uses unknown variable '{name}'")]
    UnknownVariable {
        /// The variable.
        name: String,
    },
    /// The expression cannot yield a boolean.
    #[error("CEL expression must yield a boolean, but yields {kind}")]
    NotBoolean {
        /// What it yields instead.
        kind: &'static str,
    },
}

/// Why a condition could not be decided for a predicate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvaluationError {
    /// The predicate cannot be handed to CEL.
    #[error("the predicate cannot be read by CEL: {0}")]
    Predicate(String),
    /// Evaluation failed (a missing field, a type mismatch).
    #[error("condition '{source_text}' failed: {message}")]
    Failed {
        /// The condition.
        source_text: String,
        /// What the interpreter said.
        message: String,
    },
    /// Evaluation yielded something other than a boolean.
    #[error("condition '{source_text}' yielded {found}, not a boolean")]
    NotBoolean {
        /// The condition.
        source_text: String,
        /// What it yielded.
        found: String,
    },
}

impl Condition {
    /// Compiles and checks `source`.
    pub fn compile(source: &str) -> Result<Self, ConditionError> {
        if source.len() > MAX_LEN || nesting(source) > MAX_NESTING {
            return Err(ConditionError::TooLarge);
        }
        // The parser is third-party code fed with user input: a panic in it must not take
        // the process down (invariant 7), so it is contained and reported as a syntax error.
        let parsed = std::panic::catch_unwind(|| cel::Program::compile(source));
        let program = match parsed {
            Ok(Ok(program)) => program,
            Ok(Err(errors)) => {
                let message = errors
                    .errors
                    .first()
                    .map(|e| {
                        let column = e.pos.1 + 1;
                        // ANTLR lists every token it would have accepted; the position and
                        // what it found are what helps.
                        let msg = e.msg.split(" expecting ").next().unwrap_or(&e.msg);
                        format!("{msg} at column {column}")
                    })
                    .unwrap_or_else(|| "unknown error".to_owned());
                return Err(ConditionError::Syntax {
                    message: one_line(&message),
                });
            }
            Err(_) => {
                return Err(ConditionError::Syntax {
                    message: "the parser gave up on this expression".to_owned(),
                });
            }
        };
        let root = program.expression();
        let mut free = Vec::new();
        free_variables(root, &mut Vec::new(), &mut free);
        if let Some(name) = free.into_iter().find(|v| v != PREDICATE_VARIABLE) {
            return Err(ConditionError::UnknownVariable { name });
        }
        if let Kind::Not(kind) = kind_of(root) {
            return Err(ConditionError::NotBoolean { kind });
        }
        Ok(Self {
            source: source.to_owned(),
            program: Arc::new(program),
        })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Evaluates the condition with `predicate` bound to the attestation's predicate.
    pub fn evaluate(&self, predicate: &serde_json::Value) -> Result<bool, EvaluationError> {
        let value =
            cel::to_value(predicate).map_err(|e| EvaluationError::Predicate(e.to_string()))?;
        let value: Box<dyn cel::common::value::Val> = value
            .try_into()
            .map_err(|e: cel::ExecutionError| EvaluationError::Predicate(e.to_string()))?;
        let mut context = cel::Context::default();
        context.add_variable_as_val(PREDICATE_VARIABLE, value);
        match self.program.execute(&context) {
            Ok(cel::Value::Bool(b)) => Ok(b),
            Ok(other) => Err(EvaluationError::NotBoolean {
                source_text: self.source.clone(),
                found: format!("{other:?}"),
            }),
            Err(e) => Err(EvaluationError::Failed {
                source_text: self.source.clone(),
                message: e.to_string(),
            }),
        }
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Condition({:?})", self.source)
    }
}

impl serde::Serialize for Condition {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The deepest bracket nesting, ignoring brackets in string literals only roughly (a
/// bracket in a string counts too, which only ever makes the bound stricter).
fn nesting(source: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for c in source.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Collects identifiers not bound by an enclosing comprehension.
fn free_variables(e: &IdedExpr, bound: &mut Vec<String>, out: &mut Vec<String>) {
    match &e.expr {
        Expr::Ident(name) => {
            if !name.starts_with('@') && !bound.contains(name) && !out.contains(name) {
                out.push(name.clone());
            }
        }
        Expr::Call(call) => {
            if let Some(target) = &call.target {
                free_variables(target, bound, out);
            }
            for arg in &call.args {
                free_variables(arg, bound, out);
            }
        }
        Expr::Comprehension(c) => {
            free_variables(&c.iter_range, bound, out);
            free_variables(&c.accu_init, bound, out);
            let before = bound.len();
            bound.push(c.iter_var.clone());
            if let Some(v) = &c.iter_var2 {
                bound.push(v.clone());
            }
            bound.push(c.accu_var.clone());
            free_variables(&c.loop_cond, bound, out);
            free_variables(&c.loop_step, bound, out);
            free_variables(&c.result, bound, out);
            bound.truncate(before);
        }
        Expr::List(list) => {
            for item in &list.elements {
                free_variables(item, bound, out);
            }
        }
        Expr::Map(map) => entries(&map.entries, bound, out),
        Expr::Struct(s) => entries(&s.entries, bound, out),
        Expr::Select(select) => free_variables(&select.operand, bound, out),
        Expr::Literal(_) | Expr::Unspecified => {}
    }
}

fn entries(
    entries: &[cel::common::ast::IdedEntryExpr],
    bound: &mut Vec<String>,
    out: &mut Vec<String>,
) {
    for entry in entries {
        match &entry.expr {
            EntryExpr::StructField(f) => free_variables(&f.value, bound, out),
            EntryExpr::MapEntry(m) => {
                free_variables(&m.key, bound, out);
                free_variables(&m.value, bound, out);
            }
        }
    }
}

/// What an expression evidently yields.
enum Kind {
    Bool,
    Not(&'static str),
    Unknown,
}

fn kind_of(e: &IdedExpr) -> Kind {
    match &e.expr {
        Expr::Literal(LiteralValue::Boolean(_)) => Kind::Bool,
        Expr::Literal(LiteralValue::String(_)) => Kind::Not("a string"),
        Expr::Literal(LiteralValue::Int(_) | LiteralValue::UInt(_)) => Kind::Not("an integer"),
        Expr::Literal(LiteralValue::Double(_)) => Kind::Not("a double"),
        Expr::Literal(LiteralValue::Bytes(_)) => Kind::Not("bytes"),
        Expr::Literal(LiteralValue::Null) => Kind::Not("null"),
        Expr::List(_) => Kind::Not("a list"),
        Expr::Map(_) | Expr::Struct(_) => Kind::Not("a map"),
        Expr::Comprehension(c) => match &c.result.expr {
            Expr::Ident(name) if *name == c.accu_var => kind_of(&c.accu_init),
            _ => kind_of(&c.result),
        },
        Expr::Call(call) => match call.func_name.as_str() {
            operators::LOGICAL_AND
            | operators::LOGICAL_OR
            | operators::LOGICAL_NOT
            | operators::EQUALS
            | operators::NOT_EQUALS
            | operators::GREATER
            | operators::GREATER_EQUALS
            | operators::LESS
            | operators::LESS_EQUALS
            | operators::IN
            | operators::NOT_STRICTLY_FALSE
            | operators::HAS
            | "startsWith"
            | "endsWith"
            | "contains"
            | "matches" => Kind::Bool,
            operators::ADD
            | operators::SUBSTRACT
            | operators::MULTIPLY
            | operators::DIVIDE
            | operators::MODULO
            | operators::NEGATE
            | "size"
            | "int"
            | "uint"
            | "double" => Kind::Not("a number"),
            "string" => Kind::Not("a string"),
            "bytes" => Kind::Not("bytes"),
            operators::CONDITIONAL => {
                match (call.args.get(1).map(kind_of), call.args.get(2).map(kind_of)) {
                    (Some(Kind::Not(k)), Some(Kind::Not(_))) => Kind::Not(k),
                    (Some(Kind::Bool), Some(Kind::Bool)) => Kind::Bool,
                    _ => Kind::Unknown,
                }
            }
            _ => Kind::Unknown,
        },
        Expr::Ident(_) | Expr::Select(_) | Expr::Unspecified => Kind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn conditions_evaluate_against_the_predicate() {
        let predicate = json!({
            "buildDefinition": {"buildType": "https://actions.github.io/buildtypes/workflow/v1"},
            "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"}},
            "materials": [{"uri": "git+https://github.com/acme/app"}],
        });
        let table: &[(&str, bool)] = &[
            (
                r#"predicate.buildDefinition.buildType.startsWith("https://actions.github.io/")"#,
                true,
            ),
            (
                r#"predicate.runDetails.builder.id == "https://evil.example""#,
                false,
            ),
            (
                r#"predicate.materials.all(m, m.uri.startsWith("git+https://github.com/acme/"))"#,
                true,
            ),
            (
                r#"predicate.materials.exists(m, m.uri.contains("evil"))"#,
                false,
            ),
            (
                r#"has(predicate.runDetails) && size(predicate.materials) == 1"#,
                true,
            ),
        ];
        for (source, want) in table {
            let c = Condition::compile(source).unwrap_or_else(|e| panic!("{source}: {e}"));
            assert_eq!(c.evaluate(&predicate).unwrap(), *want, "{source}");
        }
    }

    #[test]
    fn load_time_errors() {
        let err = |s: &str| Condition::compile(s).unwrap_err();
        assert!(matches!(
            err("predicate.a ==="),
            ConditionError::Syntax { .. }
        ));
        assert_eq!(
            err("pred.builder.id == 'x'"),
            ConditionError::UnknownVariable {
                name: "pred".to_owned()
            }
        );
        assert_eq!(
            err("size(predicate.materials)"),
            ConditionError::NotBoolean { kind: "a number" }
        );
        assert_eq!(
            err("'text'"),
            ConditionError::NotBoolean { kind: "a string" }
        );
        assert_eq!(
            err("predicate.materials.map(m, m.uri)"),
            ConditionError::NotBoolean { kind: "a list" }
        );
        assert_eq!(err(&"(".repeat(40)), ConditionError::TooLarge);
    }

    #[test]
    fn runtime_errors_fail_closed() {
        let c = Condition::compile("predicate.missing.field == 'x'").unwrap();
        assert!(matches!(
            c.evaluate(&json!({})),
            Err(EvaluationError::Failed { .. })
        ));
        let c = Condition::compile("predicate.name").unwrap();
        assert!(matches!(
            c.evaluate(&json!({"name": "x"})),
            Err(EvaluationError::NotBoolean { .. })
        ));
    }

    #[test]
    fn conditions_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Condition>();
    }
}
