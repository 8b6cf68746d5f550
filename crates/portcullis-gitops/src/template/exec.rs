//! Rendering a parsed template over a [`Value`], with Go's semantics: values print as Go's
//! `fmt` prints them (`<no value>` for a missing map key, `map[k:v]`, `[a b]`), truth is
//! Go's (empty and zero are false), a missing map key read through `index` is the empty
//! string, `range` over a map goes in key order, and a field a record does not have is an
//! error naming the field, the type and the position.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::error::{Problem, TemplateError};
use super::parse::{Command, Func, Node, Operand, Pipeline, Term};

/// Template data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A list (Go slice).
    List(Vec<Value>),
    /// A string-keyed map: missing keys read as `<no value>` (or `""` through `index`).
    Map(BTreeMap<String, Value>),
    /// A record (Go struct): its fields, in order; any other field is an error.
    Record {
        /// The type name errors show.
        type_name: &'static str,
        /// The fields.
        fields: Vec<(&'static str, Value)>,
    },
    /// No value (a missing map key).
    Missing,
    /// Go's `nil`.
    Nil,
}

impl Value {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Self {
        Self::Str(s.into())
    }

    /// A map of strings.
    pub fn string_map(m: &BTreeMap<String, String>) -> Self {
        Self::Map(
            m.iter()
                .map(|(k, v)| (k.clone(), Self::Str(v.clone())))
                .collect(),
        )
    }

    fn truth(&self) -> bool {
        match self {
            Self::Str(s) => !s.is_empty(),
            Self::Int(n) => *n != 0,
            Self::Bool(b) => *b,
            Self::List(l) => !l.is_empty(),
            Self::Map(m) => !m.is_empty(),
            Self::Record { .. } => true,
            Self::Missing | Self::Nil => false,
        }
    }

    fn type_name(&self) -> String {
        match self {
            Self::Str(_) => "string".into(),
            Self::Int(_) => "int".into(),
            Self::Bool(_) => "bool".into(),
            Self::List(_) => "[]interface {}".into(),
            Self::Map(_) => "map[string]string".into(),
            Self::Record { type_name, .. } => (*type_name).into(),
            Self::Missing => "<no value>".into(),
            Self::Nil => "<nil>".into(),
        }
    }

    fn print(&self, out: &mut String) {
        match self {
            Self::Str(s) => out.push_str(s),
            Self::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Self::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            Self::List(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    v.print(out);
                }
                out.push(']');
            }
            Self::Map(m) => {
                out.push_str("map[");
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    v.print(out);
                }
                out.push(']');
            }
            Self::Record { fields, .. } => {
                out.push('{');
                for (i, (_, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    v.print(out);
                }
                out.push('}');
            }
            Self::Missing => out.push_str("<no value>"),
            Self::Nil => out.push_str("<nil>"),
        }
    }

    fn printed(&self) -> String {
        let mut s = String::new();
        self.print(&mut s);
        s
    }
}

pub(crate) struct Exec<'a> {
    pub(crate) name: &'a str,
    pub(crate) src: &'a str,
    pub(crate) root: &'a Value,
}

impl Exec<'_> {
    fn err(&self, at: usize, p: Problem) -> TemplateError {
        TemplateError::at(self.name, self.src, at, p)
    }

    pub(crate) fn run(
        &self,
        nodes: &[Node],
        dot: &Value,
        out: &mut String,
    ) -> Result<(), TemplateError> {
        for n in nodes {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Output(p) => self.pipeline(p, dot)?.print(out),
                Node::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    let branch = if self.pipeline(cond, dot)?.truth() {
                        then
                    } else {
                        otherwise
                    };
                    self.run(branch, dot, out)?;
                }
                Node::With {
                    value,
                    body,
                    otherwise,
                } => {
                    let v = self.pipeline(value, dot)?;
                    if v.truth() {
                        self.run(body, &v, out)?;
                    } else {
                        self.run(otherwise, dot, out)?;
                    }
                }
                Node::Range {
                    over,
                    body,
                    otherwise,
                } => {
                    let v = self.pipeline(over, dot)?;
                    let items: Vec<Value> = match v {
                        Value::List(l) => l,
                        Value::Map(m) => m.into_values().collect(),
                        Value::Int(n) => (0..n.max(0)).map(Value::Int).collect(),
                        Value::Missing | Value::Nil => Vec::new(),
                        other => {
                            let at = over.cmds.first().map_or(0, |c| c.at);
                            return Err(self.err(at, Problem::NotIterable(other.type_name())));
                        }
                    };
                    if items.is_empty() {
                        self.run(otherwise, dot, out)?;
                    }
                    for item in &items {
                        self.run(body, item, out)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn pipeline(&self, p: &Pipeline, dot: &Value) -> Result<Value, TemplateError> {
        let mut piped = None;
        for c in &p.cmds {
            piped = Some(self.command(c, dot, piped)?);
        }
        Ok(piped.unwrap_or(Value::Missing))
    }

    fn command(
        &self,
        c: &Command,
        dot: &Value,
        piped: Option<Value>,
    ) -> Result<Value, TemplateError> {
        let Some(first) = c.args.first() else {
            return Err(self.err(c.at, Problem::Syntax("missing value for command")));
        };
        if let (Term::Func(f), true) = (&first.term, first.fields.is_empty()) {
            let mut args = Vec::with_capacity(c.args.len());
            for a in &c.args[1..] {
                args.push(self.operand(a, dot)?);
            }
            if let Some(p) = piped {
                args.push(p);
            }
            return self.call(*f, args, first.at);
        }
        if c.args.len() > 1 || piped.is_some() {
            return Err(self.err(c.at, Problem::Syntax("can't give argument to non-function")));
        }
        self.operand(first, dot)
    }

    fn operand(&self, o: &Operand, dot: &Value) -> Result<Value, TemplateError> {
        let mut v = match &o.term {
            Term::Dot => dot.clone(),
            Term::Root => self.root.clone(),
            Term::Str(s) => Value::Str(s.clone()),
            Term::Int(n) => Value::Int(*n),
            Term::Bool(b) => Value::Bool(*b),
            Term::Nil => Value::Nil,
            Term::Func(f) => self.call(*f, Vec::new(), o.at)?,
            Term::Sub(p) => self.pipeline(p, dot)?,
        };
        for (name, at) in &o.fields {
            v = match v {
                Value::Record { type_name, fields } => {
                    match fields.into_iter().find(|(f, _)| f == name) {
                        Some((_, x)) => x,
                        None => {
                            return Err(self.err(
                                *at,
                                Problem::UnknownField {
                                    field: name.clone(),
                                    in_type: type_name.to_owned(),
                                },
                            ));
                        }
                    }
                }
                Value::Map(mut m) => m.remove(name).unwrap_or(Value::Missing),
                Value::Missing => Value::Missing,
                other => {
                    return Err(self.err(
                        *at,
                        Problem::UnknownField {
                            field: name.clone(),
                            in_type: other.type_name(),
                        },
                    ));
                }
            };
        }
        Ok(v)
    }

    fn call(&self, f: Func, args: Vec<Value>, at: usize) -> Result<Value, TemplateError> {
        let bad = |expected: &'static str| {
            self.err(
                at,
                Problem::BadArguments {
                    function: f.name(),
                    expected,
                },
            )
        };
        match f {
            Func::Index => {
                let mut it = args.into_iter();
                let mut v = it
                    .next()
                    .ok_or_else(|| bad("wrong number of args for index: want at least 1"))?;
                for key in it {
                    v = match (v, key) {
                        (Value::Map(mut m), Value::Str(k)) => {
                            m.remove(&k).unwrap_or(Value::Str(String::new()))
                        }
                        (Value::List(l), Value::Int(i)) => {
                            let len = l.len();
                            usize::try_from(i)
                                .ok()
                                .and_then(|u| l.into_iter().nth(u))
                                .ok_or_else(|| {
                                    self.err(at, Problem::IndexOutOfRange { index: i, len })
                                })?
                        }
                        (Value::Missing | Value::Nil, _) => {
                            return Err(bad("index of untyped nil"));
                        }
                        _ => return Err(bad("cannot index this value with this key")),
                    };
                }
                Ok(v)
            }
            Func::Len => match args.as_slice() {
                [Value::Str(s)] => Ok(Value::Int(i64::try_from(s.len()).unwrap_or(i64::MAX))),
                [Value::List(l)] => Ok(Value::Int(i64::try_from(l.len()).unwrap_or(i64::MAX))),
                [Value::Map(m)] => Ok(Value::Int(i64::try_from(m.len()).unwrap_or(i64::MAX))),
                _ => Err(bad("len of a string, list or map")),
            },
            Func::Not => match args.as_slice() {
                [v] => Ok(Value::Bool(!v.truth())),
                _ => Err(bad("wrong number of args for not: want 1")),
            },
            Func::And | Func::Or => {
                let want = f == Func::Or;
                let mut last = None;
                for v in args {
                    if v.truth() == want {
                        return Ok(v);
                    }
                    last = Some(v);
                }
                last.ok_or_else(|| bad("wrong number of args: want at least 1"))
            }
            Func::Eq => {
                let mut it = args.iter();
                let first = it
                    .next()
                    .ok_or_else(|| bad("missing argument for comparison"))?;
                let mut any = false;
                let mut count = 0;
                for other in it {
                    count += 1;
                    any |= self.compare(first, other, at)? == std::cmp::Ordering::Equal;
                }
                if count == 0 {
                    return Err(bad("missing argument for comparison"));
                }
                Ok(Value::Bool(any))
            }
            Func::Ne | Func::Lt | Func::Le | Func::Gt | Func::Ge => {
                let [a, b] = args.as_slice() else {
                    return Err(bad("wrong number of args: want 2"));
                };
                let o = self.compare(a, b, at)?;
                use std::cmp::Ordering::{Equal, Greater, Less};
                Ok(Value::Bool(match f {
                    Func::Ne => o != Equal,
                    Func::Lt => o == Less,
                    Func::Le => o != Greater,
                    Func::Gt => o == Greater,
                    _ => o != Less,
                }))
            }
            Func::Printf => {
                let mut it = args.into_iter();
                let Some(Value::Str(format)) = it.next() else {
                    return Err(bad("the first argument of printf must be a format string"));
                };
                Ok(Value::Str(sprintf(&format, &it.collect::<Vec<_>>())))
            }
            Func::Print => {
                let mut s = String::new();
                for (i, v) in args.iter().enumerate() {
                    let is_str = |v: &Value| matches!(v, Value::Str(_));
                    if i > 0 && !is_str(v) && !args.get(i - 1).is_some_and(is_str) {
                        s.push(' ');
                    }
                    v.print(&mut s);
                }
                Ok(Value::Str(s))
            }
            Func::Println => {
                let parts: Vec<String> = args.iter().map(Value::printed).collect();
                Ok(Value::Str(format!("{}\n", parts.join(" "))))
            }
        }
    }

    fn compare(
        &self,
        a: &Value,
        b: &Value,
        at: usize,
    ) -> Result<std::cmp::Ordering, TemplateError> {
        match (a, b) {
            (Value::Str(x), Value::Str(y)) => Ok(x.cmp(y)),
            (Value::Int(x), Value::Int(y)) => Ok(x.cmp(y)),
            (Value::Bool(x), Value::Bool(y)) => Ok(x.cmp(y)),
            _ => Err(self.err(at, Problem::Incomparable)),
        }
    }
}

/// Go's `fmt.Sprintf` for the verbs `%s`, `%v`, `%d`, `%q` and `%%`.
fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next = args.iter();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = next.next() else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        match (verb, arg) {
            ('s' | 'v', v) => v.print(&mut out),
            ('d', Value::Int(n)) => {
                let _ = write!(out, "{n}");
            }
            ('q', Value::Str(s)) => {
                let _ = write!(out, "{s:?}");
            }
            (v, a) => {
                let _ = write!(out, "%!{v}({}={})", a.type_name(), a.printed());
            }
        }
    }
    let extra: Vec<String> = next
        .map(|a| format!("{}={}", a.type_name(), a.printed()))
        .collect();
    if !extra.is_empty() {
        let _ = write!(out, "%!(EXTRA {})", extra.join(", "));
    }
    out
}
