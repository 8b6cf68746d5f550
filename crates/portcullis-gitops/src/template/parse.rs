//! The template tree: text, output actions, `if`/`else if`/`else`, `range`/`else`,
//! `with`/`else`, each closed by `end`; pipelines of commands joined by `|`, operands with
//! field chains (`.A.B`, `$.A`, `(pipeline).A`). Unknown functions and variables, and
//! Go features not supported here (`define`, `template`, `block`, variable declarations,
//! `break`/`continue`), are refused at parse time with their position.

use super::error::{Problem, TemplateError};
use super::lex::{Item, Tok, Token};

/// A built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Index,
    Len,
    Not,
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Printf,
    Print,
    Println,
}

impl Func {
    fn lookup(name: &str) -> Option<Self> {
        Some(match name {
            "index" => Self::Index,
            "len" => Self::Len,
            "not" => Self::Not,
            "and" => Self::And,
            "or" => Self::Or,
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "lt" => Self::Lt,
            "le" => Self::Le,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            "printf" => Self::Printf,
            "print" => Self::Print,
            "println" => Self::Println,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Index => "index",
            Self::Len => "len",
            Self::Not => "not",
            Self::And => "and",
            Self::Or => "or",
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Lt => "lt",
            Self::Le => "le",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Printf => "printf",
            Self::Print => "print",
            Self::Println => "println",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Text(String),
    Output(Pipeline),
    If {
        cond: Pipeline,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    Range {
        over: Pipeline,
        body: Vec<Node>,
        otherwise: Vec<Node>,
    },
    With {
        value: Pipeline,
        body: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pipeline {
    pub(crate) cmds: Vec<Command>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    pub(crate) args: Vec<Operand>,
    pub(crate) at: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Operand {
    pub(crate) term: Term,
    pub(crate) fields: Vec<(String, usize)>,
    pub(crate) at: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Term {
    Dot,
    Root,
    Func(Func),
    Str(String),
    Int(i64),
    Bool(bool),
    Nil,
    Sub(Pipeline),
}

enum Stop {
    Else(Vec<Token>, usize),
    End,
}

/// The nodes of a list, and the `else`/`end` that ended it (with its offset), if any.
type Listed = (Vec<Node>, Option<(Stop, usize)>);

/// How deep blocks and parentheses may nest: no template can exhaust the stack.
const MAX_DEPTH: usize = 64;

pub(crate) struct Parser<'a> {
    name: &'a str,
    src: &'a str,
    items: Vec<Item>,
    i: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(name: &'a str, src: &'a str, items: Vec<Item>) -> Self {
        Self {
            name,
            src,
            items,
            i: 0,
            depth: 0,
        }
    }

    fn err(&self, at: usize, p: Problem) -> TemplateError {
        TemplateError::at(self.name, self.src, at, p)
    }

    /// The whole template.
    pub(crate) fn parse(mut self) -> Result<Vec<Node>, TemplateError> {
        let (nodes, stop) = self.list()?;
        match stop {
            None => Ok(nodes),
            Some((Stop::Else(..), at)) => Err(self.err(at, Problem::Unexpected("else"))),
            Some((Stop::End, at)) => Err(self.err(at, Problem::Unexpected("end"))),
        }
    }

    fn list(&mut self) -> Result<Listed, TemplateError> {
        let mut nodes = Vec::new();
        while let Some(item) = self.items.get(self.i).cloned() {
            self.i += 1;
            let (tokens, at) = match item {
                Item::Text(t) => {
                    nodes.push(Node::Text(t));
                    continue;
                }
                Item::Action { tokens, at } => (tokens, at),
            };
            let keyword = match tokens.first().map(|t| &t.kind) {
                Some(Tok::Ident(k)) => k.as_str(),
                _ => "",
            };
            match keyword {
                "if" | "range" | "with" => {
                    let kw = if keyword == "if" {
                        "if"
                    } else if keyword == "range" {
                        "range"
                    } else {
                        "with"
                    };
                    nodes.push(self.block(kw, tokens.get(1..).unwrap_or_default(), at)?);
                }
                "else" => {
                    return Ok((
                        nodes,
                        Some((
                            Stop::Else(tokens.get(1..).unwrap_or_default().to_vec(), at),
                            at,
                        )),
                    ));
                }
                "end" => {
                    if tokens.len() > 1 {
                        return Err(self.err(at, Problem::Syntax("unexpected arguments after end")));
                    }
                    return Ok((nodes, Some((Stop::End, at))));
                }
                "template" | "define" | "block" | "break" | "continue" => {
                    return Err(self.err(
                        at,
                        Problem::Unsupported(
                            "{{template}}, {{define}}, {{block}}, {{break}} and {{continue}} are",
                        ),
                    ));
                }
                _ => {
                    if tokens.is_empty() {
                        return Err(self.err(at, Problem::Syntax("missing value for command")));
                    }
                    nodes.push(Node::Output(self.pipeline(&tokens, at)?));
                }
            }
        }
        Ok((nodes, None))
    }

    /// An `if`, `range` or `with` whose pipeline is `tokens`, up to its `end`.
    fn block(
        &mut self,
        kw: &'static str,
        tokens: &[Token],
        at: usize,
    ) -> Result<Node, TemplateError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(at, Problem::Unsupported("nesting deeper than 64 levels is")));
        }
        let node = self.block_inner(kw, tokens, at);
        self.depth -= 1;
        node
    }

    fn block_inner(
        &mut self,
        kw: &'static str,
        tokens: &[Token],
        at: usize,
    ) -> Result<Node, TemplateError> {
        let pipe = self.pipeline(tokens, at)?;
        let (body, stop) = self.list()?;
        let otherwise = match stop {
            None => return Err(self.err(at, Problem::MissingEnd(kw))),
            Some((Stop::End, _)) => Vec::new(),
            Some((Stop::Else(rest, else_at), _)) => {
                match rest.first().map(|t| &t.kind) {
                    // `else if` / `else with`: a nested block sharing this one's `end`.
                    Some(Tok::Ident(k))
                        if (k == "if" && kw == "if") || (k == "with" && kw == "with") =>
                    {
                        vec![self.block(kw, rest.get(1..).unwrap_or_default(), else_at)?]
                    }
                    Some(_) => {
                        return Err(
                            self.err(else_at, Problem::Syntax("unexpected arguments after else"))
                        );
                    }
                    None => {
                        let (other, stop) = self.list()?;
                        match stop {
                            Some((Stop::End, _)) => other,
                            Some((Stop::Else(..), at2)) => {
                                return Err(self.err(at2, Problem::Unexpected("else")));
                            }
                            None => return Err(self.err(at, Problem::MissingEnd(kw))),
                        }
                    }
                }
            }
        };
        Ok(match kw {
            "if" => Node::If {
                cond: pipe,
                then: body,
                otherwise,
            },
            "range" => Node::Range {
                over: pipe,
                body,
                otherwise,
            },
            _ => Node::With {
                value: pipe,
                body,
                otherwise,
            },
        })
    }

    fn pipeline(&self, tokens: &[Token], at: usize) -> Result<Pipeline, TemplateError> {
        let mut open = 0usize;
        for t in tokens {
            match t.kind {
                Tok::LParen => {
                    open += 1;
                    if open > MAX_DEPTH {
                        return Err(self.err(
                            t.start,
                            Problem::Unsupported("nesting deeper than 64 levels is"),
                        ));
                    }
                }
                Tok::RParen => open = open.saturating_sub(1),
                _ => {}
            }
        }
        if let Some(t) = tokens
            .iter()
            .find(|t| matches!(t.kind, Tok::Declare | Tok::Assign | Tok::Comma))
        {
            return Err(self.err(t.start, Problem::Unsupported("variable declarations are")));
        }
        let mut cmds = Vec::new();
        let mut start = 0;
        let mut depth = 0usize;
        for (k, t) in tokens.iter().enumerate() {
            match t.kind {
                Tok::LParen => depth += 1,
                Tok::RParen => depth = depth.saturating_sub(1),
                Tok::Pipe if depth == 0 => {
                    cmds.push(self.command(&tokens[start..k], t.start)?);
                    start = k + 1;
                }
                _ => {}
            }
        }
        let end_at = tokens.last().map_or(at, |t| t.end);
        cmds.push(self.command(tokens.get(start..).unwrap_or_default(), end_at)?);
        Ok(Pipeline { cmds })
    }

    fn command(&self, tokens: &[Token], at: usize) -> Result<Command, TemplateError> {
        let Some(first) = tokens.first() else {
            return Err(self.err(at, Problem::Syntax("missing value for command")));
        };
        let mut args = Vec::new();
        let mut k = 0;
        while k < tokens.len() {
            let t = &tokens[k];
            let (term, mut fields, mut last_end) = match &t.kind {
                Tok::Dot => (Term::Dot, Vec::new(), t.end),
                Tok::Field(f) => (Term::Dot, vec![(f.clone(), t.start)], t.end),
                Tok::Var(v) if v.is_empty() => (Term::Root, Vec::new(), t.end),
                Tok::Var(v) => return Err(self.err(t.start, Problem::UnknownVariable(v.clone()))),
                Tok::Str(s) => (Term::Str(s.clone()), Vec::new(), t.end),
                Tok::Int(n) => (Term::Int(*n), Vec::new(), t.end),
                Tok::Ident(w) => match w.as_str() {
                    "true" => (Term::Bool(true), Vec::new(), t.end),
                    "false" => (Term::Bool(false), Vec::new(), t.end),
                    "nil" => (Term::Nil, Vec::new(), t.end),
                    "if" | "range" | "with" | "else" | "end" | "template" | "define" | "block" => {
                        return Err(
                            self.err(t.start, Problem::Syntax("unexpected keyword in command"))
                        );
                    }
                    name => match Func::lookup(name) {
                        Some(f) => (Term::Func(f), Vec::new(), t.end),
                        None => {
                            return Err(
                                self.err(t.start, Problem::UnknownFunction(name.to_owned()))
                            );
                        }
                    },
                },
                Tok::LParen => {
                    let mut depth = 0usize;
                    let mut close = None;
                    for (j, u) in tokens.iter().enumerate().skip(k) {
                        match u.kind {
                            Tok::LParen => depth += 1,
                            Tok::RParen => {
                                depth -= 1;
                                if depth == 0 {
                                    close = Some(j);
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                    let Some(close) = close else {
                        return Err(self.err(t.start, Problem::Syntax("unclosed left paren")));
                    };
                    let inner = self.pipeline(&tokens[k + 1..close], t.end)?;
                    let end = tokens[close].end;
                    k = close;
                    (Term::Sub(inner), Vec::new(), end)
                }
                Tok::RParen => {
                    return Err(self.err(t.start, Problem::Syntax("unexpected right paren")));
                }
                Tok::Pipe | Tok::Declare | Tok::Assign | Tok::Comma => {
                    return Err(self.err(t.start, Problem::Syntax("unexpected token in command")));
                }
            };
            while let Some(next) = tokens.get(k + 1) {
                match &next.kind {
                    Tok::Field(f) if next.start == last_end => {
                        fields.push((f.clone(), next.start));
                        last_end = next.end;
                        k += 1;
                    }
                    _ => break,
                }
            }
            args.push(Operand {
                term,
                fields,
                at: t.start,
            });
            k += 1;
        }
        Ok(Command {
            args,
            at: first.start,
        })
    }
}
