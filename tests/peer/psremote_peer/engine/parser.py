"""A parser for the PowerShell subset the endpoint runs (about_Parsing: expression and argument
modes). It parses a whole script before anything runs, as PowerShell does, so a syntax error
anywhere gives one ParseException and no output."""

from __future__ import annotations

import dataclasses
import typing as t

from .errors import EngineError, parse_error
from .objects import ScriptBlock


# --- AST -----------------------------------------------------------------------------------------

@dataclasses.dataclass
class Node:
    pos: int


@dataclasses.dataclass
class ParamDecl(Node):
    name: str
    type: str | None
    default: t.Any  # expression node or None
    mandatory: bool = False


@dataclasses.dataclass
class Script(Node):
    params: list[ParamDecl] | None
    statements: list[Node]
    text: str = ""
    # begin/process/end blocks (about_Functions_Advanced_Methods); None for a plain body
    named_blocks: dict[str, "Script"] | None = None


@dataclasses.dataclass
class Pipeline(Node):
    elements: list[Node]  # CommandNode, or an expression as the first element


@dataclasses.dataclass
class Assign(Node):
    target: Node
    op: str
    value: Node


@dataclasses.dataclass
class CmdArg:
    kind: str  # "param" | "value"
    name: str | None = None
    value: Node | None = None
    text: str | None = None


@dataclasses.dataclass
class CommandNode(Node):
    name: t.Any  # str, or an expression node after & / .
    args: list[CmdArg]
    invoke_op: str | None = None


@dataclasses.dataclass
class If(Node):
    clauses: list[tuple[Node, Script]]
    else_block: Script | None


@dataclasses.dataclass
class Foreach(Node):
    var: str
    iterable: Node
    body: Script


@dataclasses.dataclass
class Flow(Node):
    kind: str  # return | throw | break | continue | exit
    value: Node | None


@dataclasses.dataclass
class Const(Node):
    value: t.Any


@dataclasses.dataclass
class Expand(Node):
    parts: list[t.Any]  # str or expression nodes


@dataclasses.dataclass
class Var(Node):
    name: str
    splat: bool = False


@dataclasses.dataclass
class Member(Node):
    obj: Node
    name: t.Any  # str or expression
    static: bool = False


@dataclasses.dataclass
class Index(Node):
    obj: Node
    index: Node


@dataclasses.dataclass
class Call(Node):
    obj: Node
    name: str
    args: list[Node]
    static: bool = False


@dataclasses.dataclass
class BinOp(Node):
    op: str
    left: Node
    right: Node


@dataclasses.dataclass
class Unary(Node):
    op: str
    operand: Node


@dataclasses.dataclass
class ArrayLit(Node):
    items: list[Node]


@dataclasses.dataclass
class SubExpr(Node):
    statements: list[Node]
    array: bool  # @( ) vs $( )


@dataclasses.dataclass
class Paren(Node):
    pipeline: Node


@dataclasses.dataclass
class HashLit(Node):
    pairs: list[tuple[Node, Node]]


@dataclasses.dataclass
class BlockLit(Node):
    block: ScriptBlock


@dataclasses.dataclass
class Cast(Node):
    type: str
    operand: Node


@dataclasses.dataclass
class TypeLit(Node):
    type: str


COMPARISON_OPS = {
    "eq", "ne", "gt", "lt", "ge", "le", "like", "notlike", "match", "notmatch", "contains", "notcontains",
    "in", "notin", "is", "isnot", "as", "replace", "split", "join",
}
CASE_PREFIXES = ("i", "c")
LOGICAL_OPS = {"and", "or", "xor"}
UNSUPPORTED_KEYWORDS = {
    "while", "do", "for", "switch", "function", "filter", "workflow", "class", "enum", "trap", "try",
    "data", "dynamicparam", "until", "configuration", "using",
}
_ARG_TERMINATORS = set(" \t\r\n;|)}")
_WORD_END = set(" \t\r\n;|(){},=+*/%<>!\"'`[]$@.")


EOF = "\x00"  # what peek() gives past the end; in no character class below


def is_space(ch: str) -> bool:
    return ch in " \t\f\v\u00a0"


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.n = len(text)
        self.no_comma = False  # inside method-call arguments

    # -- errors ---------------------------------------------------------------------------------

    def error(self, message: str, error_id: str = "ParseException", pos: int | None = None,
              incomplete: bool = False) -> EngineError:
        return parse_error(message, self.text, self.i if pos is None else pos, error_id, incomplete)

    # -- low level --------------------------------------------------------------------------------

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.text[j] if 0 <= j < self.n else EOF

    def at_end(self) -> bool:
        return self.i >= self.n

    def skip_ws(self, newlines: bool = False) -> None:
        while self.i < self.n:
            ch = self.text[self.i]
            if is_space(ch):
                self.i += 1
            elif ch == "`" and self.peek(1) in ("\n", "\r"):
                self.i += 2
                if self.peek(-1) == "\r" and self.peek() == "\n":
                    self.i += 1
            elif newlines and ch in "\r\n":
                self.i += 1
            elif ch == "#":
                while self.i < self.n and self.text[self.i] not in "\r\n":
                    self.i += 1
            elif ch == "<" and self.peek(1) == "#":
                end = self.text.find("#>", self.i + 2)
                if end < 0:
                    raise self.error("Missing closing '#>' for comment block.", "MissingEndOfComment",
                                     incomplete=True)
                self.i = end + 2
            else:
                break

    def skip_separators(self) -> None:
        while True:
            self.skip_ws(newlines=True)
            if self.peek() == ";":
                self.i += 1
            else:
                return

    def word_at(self) -> str:
        j = self.i
        while j < self.n and (self.text[j].isalnum() or self.text[j] in "_-"):
            j += 1
        return self.text[self.i:j]

    def keyword_at(self, kw: str) -> bool:
        end = self.i + len(kw)
        if self.text[self.i:end].lower() != kw:
            return False
        return end >= self.n or not (self.text[end].isalnum() or self.text[end] in "_-")

    # -- scripts and statements -------------------------------------------------------------------

    def parse_script(self) -> Script:
        start = self.i
        s = self.parse_block_body(end_char="")
        if not self.at_end():
            raise self.error(f"Unexpected token '{self.peek()}' in expression or statement.", "UnexpectedToken")
        s.text = self.text[start:]
        return s

    def parse_block_body(self, end_char: str) -> Script:
        return t.cast(Script, self.nested(lambda: self._parse_block_body(end_char)))

    def _parse_block_body(self, end_char: str) -> Script:
        start = self.i
        self.skip_separators()
        params = None
        # script-level attributes ([CmdletBinding()], [OutputType(...)]) may precede param()
        save = self.i
        while self.peek() == "[":
            attr = self.parse_type_literal_text()
            self.skip_separators()
            if "(" not in attr or not self.keyword_at("param") and self.peek() != "[":
                self.i = save
                break
        if self.keyword_at("param"):
            save = self.i
            self.i += 5
            self.skip_ws(newlines=True)
            if self.peek() == "(":
                params = self.parse_param_block()
            else:
                self.i = save
        named = self.parse_named_blocks(end_char)
        if named is not None:
            return Script(start, params, [], named_blocks=named)
        stmts = []
        while True:
            self.skip_separators()
            if self.at_end() or (end_char and self.peek() == end_char):
                break
            if end_char == "" and self.peek() in ")}":
                raise self.error(f"Unexpected token '{self.peek()}' in expression or statement.", "UnexpectedToken")
            stmts.append(self.parse_statement())
            self.skip_ws()
            if not self.at_end() and self.peek() not in ";\r\n" and not (end_char and self.peek() == end_char):
                if end_char == "" or self.peek() not in ")}":
                    raise self.error(f"Unexpected token '{self.rest_token()}' in expression or statement.",
                                     "UnexpectedToken")
        return Script(start, params, stmts)

    def named_block_at(self) -> str | None:
        for kw in ("begin", "process", "end"):
            if self.keyword_at(kw):
                j = self.i + len(kw)
                while j < self.n and self.text[j] in " \t\r\n":
                    j += 1
                if j < self.n and self.text[j] == "{":
                    return kw
        return None

    def parse_named_blocks(self, end_char: str) -> dict[str, Script] | None:
        self.skip_separators()
        if self.named_block_at() is None:
            return None
        blocks: dict[str, Script] = {}
        while True:
            self.skip_separators()
            if self.at_end() or (end_char and self.peek() == end_char):
                return blocks
            kw = self.named_block_at()
            if kw is None or kw in blocks:
                raise self.error(f"Unexpected token '{self.rest_token()}' in expression or statement.",
                                 "UnexpectedToken")
            self.i += len(kw)
            self.skip_ws(newlines=True)
            blocks[kw] = self.parse_braced_block(kw)

    def rest_token(self) -> str:
        j = self.i
        while j < self.n and not self.text[j].isspace():
            j += 1
        return self.text[self.i:j] or self.peek()

    def parse_param_block(self) -> list[ParamDecl]:
        self.i += 1  # (
        decls = []
        while True:
            self.skip_ws(newlines=True)
            if self.peek() == ")":
                self.i += 1
                break
            ty = None
            mandatory = False
            while self.peek() == "[":
                attr = self.parse_type_literal_text()
                low = attr.lower().replace(" ", "")
                if low.startswith("parameter(") or low.startswith("parameter"):
                    if "mandatory" in low and "mandatory=$false" not in low:
                        mandatory = True
                elif "(" not in attr:
                    ty = attr
                self.skip_ws(newlines=True)
            pos = self.i
            if self.peek() != "$":
                raise self.error("Missing ')' in function parameter list.", "MissingEndParenthesisInFunctionParameterList")
            var = self.parse_variable()
            assert isinstance(var, Var)
            default = None
            self.skip_ws(newlines=True)
            if self.peek() == "=":
                self.i += 1
                self.skip_ws(newlines=True)
                default = self.parse_expression()
            decls.append(ParamDecl(pos, var.name, ty, default, mandatory))
            self.skip_ws(newlines=True)
            if self.peek() == ",":
                self.i += 1
                continue
            if self.peek() == ")":
                self.i += 1
                break
            raise self.error("Missing ')' in function parameter list.", "MissingEndParenthesisInFunctionParameterList")
        return decls

    def parse_type_literal_text(self) -> str:
        """`[...]` with nesting; returns the inside text."""
        start = self.i
        depth = 0
        while self.i < self.n:
            ch = self.text[self.i]
            if ch == "[":
                depth += 1
            elif ch == "]":
                depth -= 1
                if depth == 0:
                    self.i += 1
                    return self.text[start + 1:self.i - 1].strip()
            elif ch in "\r\n" and depth == 1:
                break
            self.i += 1
        raise self.error("Missing ] at end of attribute or type literal.", "EndSquareBracketExpectedAtEndOfAttribute",
                         pos=start, incomplete=self.at_end())

    def parse_statement(self) -> Node:
        pos = self.i
        for kw in ("if", "foreach", "return", "throw", "exit", "break", "continue"):
            if self.keyword_at(kw):
                return getattr(self, f"parse_{kw}")() if kw in ("if", "foreach") else self.parse_flow(kw)
        for kw in UNSUPPORTED_KEYWORDS:
            if self.keyword_at(kw) and not self.word_at().lower().startswith(kw + "-"):
                raise self.error(f"The '{kw}' statement is not supported by this endpoint's PowerShell subset.",
                                 "UnsupportedStatement", pos=pos)
        return self.parse_pipeline(allow_assign=True)

    def parse_flow(self, kw: str) -> Node:
        pos = self.i
        self.i += len(kw)
        self.skip_ws()
        value = None
        if not self.at_end() and self.peek() not in ";\r\n)}":
            value = self.parse_pipeline(allow_assign=False)
        return Flow(pos, kw, value)

    def parse_if(self) -> Node:
        pos = self.i
        clauses = []
        else_block = None
        self.i += 2
        while True:
            self.skip_ws(newlines=True)
            if self.peek() != "(":
                raise self.error("Missing '(' after 'if' in if statement.", "MissingOpenParenthesisInIfStatement")
            self.i += 1
            self.skip_ws(newlines=True)
            cond = self.parse_pipeline(allow_assign=True)
            self.skip_ws(newlines=True)
            if self.peek() != ")":
                raise self.error("Missing closing ')' after expression in 'if' statement.",
                                 "MissingEndParenthesisAfterStatement")
            self.i += 1
            self.skip_ws(newlines=True)
            body = self.parse_braced_block("if")
            clauses.append((cond, body))
            save = self.i
            self.skip_ws(newlines=True)
            if self.keyword_at("elseif"):
                self.i += 6
                continue
            if self.keyword_at("else"):
                self.i += 4
                self.skip_ws(newlines=True)
                else_block = self.parse_braced_block("else")
                break
            self.i = save
            break
        return If(pos, clauses, else_block)

    def parse_foreach(self) -> Node:
        pos = self.i
        self.i += 7
        self.skip_ws(newlines=True)
        if self.peek() != "(":
            raise self.error("Missing opening '(' after keyword 'foreach'.", "MissingOpenParenthesisAfterKeyword")
        self.i += 1
        self.skip_ws(newlines=True)
        if self.peek() != "$":
            raise self.error("Missing variable name after foreach.", "MissingVariableNameAfterForeach")
        var = self.parse_variable()
        self.skip_ws(newlines=True)
        if not self.keyword_at("in"):
            raise self.error("Missing 'in' after variable in foreach loop.", "MissingInInForeach")
        self.i += 2
        self.skip_ws(newlines=True)
        it = self.parse_pipeline(allow_assign=False)
        self.skip_ws(newlines=True)
        if self.peek() != ")":
            raise self.error("Missing closing ')' after expression in 'foreach' statement.",
                             "MissingEndParenthesisAfterForeach")
        self.i += 1
        self.skip_ws(newlines=True)
        body = self.parse_braced_block("foreach")
        assert isinstance(var, Var)
        return Foreach(pos, var.name, it, body)

    def parse_braced_block(self, what: str) -> Script:
        if self.peek() != "{":
            raise self.error(f"Missing statement block after {what}.", "MissingStatementBlock",
                             incomplete=self.at_end())
        open_pos = self.i
        self.i += 1
        body = self.parse_block_body(end_char="}")
        if self.peek() != "}":
            raise self.error("Missing closing '}' in statement block or type definition.", "MissingEndCurlyBrace",
                             pos=open_pos, incomplete=True)
        self.i += 1
        return body

    # -- pipelines -----------------------------------------------------------------------------

    def parse_pipeline(self, allow_assign: bool) -> Node:
        pos = self.i
        elements: list[Node] = []
        first = True
        while True:
            self.skip_ws()
            if self.at_end() or self.peek() in ";\r\n)}":
                if elements:
                    raise self.error("An empty pipe element is not allowed.", "EmptyPipeElement")
                raise self.error("Missing expression.", "ExpectedExpression", incomplete=self.at_end())
            if self.starts_command():
                elements.append(self.parse_command())
            else:
                if not first:
                    raise self.error("Expressions are only allowed as the first element of a pipeline.",
                                     "ExpressionsMustBeFirstInPipeline")
                expr = self.parse_expression()
                self.skip_ws()
                if first and allow_assign and self.is_assignment_op():
                    if not isinstance(expr, (Var, Member, Index)):
                        raise self.error("The assignment expression is not valid. The input to an assignment "
                                         "operator must be an object that is able to accept assignments, such as "
                                         "a variable or a property.", "InvalidLeftHandSide")
                    op = self.take_assignment_op()
                    self.skip_ws(newlines=True)
                    value = self.parse_statement_value()
                    return Assign(pos, expr, op, value)
                elements.append(expr)
            first = False
            self.skip_ws()
            if self.peek() == "|" and self.peek(1) != "|":
                self.i += 1
                self.skip_ws(newlines=True)
                continue
            if self.peek() == ">" or (self.peek() in "12*" and self.peek(1) == ">"):
                raise self.error("Redirection is not supported by this endpoint's PowerShell subset.",
                                 "UnsupportedRedirection")
            break
        return Pipeline(pos, elements)

    def parse_statement_value(self) -> Node:
        for kw in ("if", "foreach"):
            if self.keyword_at(kw):
                return self.parse_statement()
        return self.parse_pipeline(allow_assign=True)

    def is_assignment_op(self) -> bool:
        ch, nx = self.peek(), self.peek(1)
        if ch == "=" and nx != "=":
            return True
        return ch in "+-*/%" and nx == "="

    def take_assignment_op(self) -> str:
        if self.peek() == "=":
            self.i += 1
            return "="
        op = self.text[self.i:self.i + 2]
        self.i += 2
        return op

    def starts_command(self) -> bool:
        ch = self.peek()
        if ch in "&":
            return True
        if ch == "." and is_space(self.peek(1)):
            return True
        if ch.isalpha() or ch == "_" or ch == "\\":
            return True
        if ch in "?%" and (is_space(self.peek(1)) or self.peek(1) in "{"):
            return True  # the ? and % aliases of Where-Object / ForEach-Object
        if ch == "-" and self.peek(1).isalpha():
            # a unary operator like -not starts an expression
            word = self.word_after_dash()
            if word.lower() in ("not", "bnot", "split", "join"):
                return False
            return True
        return False

    def word_after_dash(self) -> str:
        j = self.i + 1
        while j < self.n and (self.text[j].isalnum() or self.text[j] == "_"):
            j += 1
        return self.text[self.i + 1:j]

    def parse_command(self) -> Node:
        pos = self.i
        invoke_op = None
        name: t.Any
        if self.peek() in "&." and (self.peek() == "&" or is_space(self.peek(1))):
            invoke_op = self.peek()
            self.i += 1
            self.skip_ws()
            if self.peek() in "{$('\"":
                name = self.parse_primary()
            else:
                name = self.parse_bareword()
        else:
            name = self.parse_bareword()
        args: list[CmdArg] = []
        while True:
            self.skip_ws()
            if self.at_end() or self.peek() in ";\r\n|)}":
                break
            if self.peek() == ">" or (self.peek() in "12*" and self.peek(1) == ">"):
                raise self.error("Redirection is not supported by this endpoint's PowerShell subset.",
                                 "UnsupportedRedirection")
            if self.peek() == "-" and (self.peek(1).isalpha() or self.peek(1) in "_?"):
                start = self.i
                self.i += 1
                while self.i < self.n and (self.text[self.i].isalnum() or self.text[self.i] in "_-?"):
                    self.i += 1
                pname = self.text[start + 1:self.i]
                if self.peek() == ":":
                    self.i += 1
                    self.skip_ws()
                    value = self.parse_argument_value()
                    args.append(CmdArg("param", pname, value, self.text[start:self.i]))
                else:
                    args.append(CmdArg("param", pname, None, self.text[start:self.i]))
                continue
            if self.peek() == "-" and self.peek(1) == "-" and self.peek(2) in " \t\r\n":
                self.i += 2  # end of parameters marker
                continue
            args.append(CmdArg("value", None, self.parse_argument_value()))
        return CommandNode(pos, name, args, invoke_op)

    def parse_bareword(self) -> str:
        start = self.i
        while self.i < self.n and self.text[self.i] not in _ARG_TERMINATORS and self.text[self.i] not in "(,{'\"":
            if self.text[self.i] == "`" and self.i + 1 < self.n:
                self.i += 2
                continue
            self.i += 1
        word = self.text[start:self.i]
        if not word:
            raise self.error(f"Unexpected token '{self.peek()}' in expression or statement.", "UnexpectedToken")
        return word.replace("`", "")

    def parse_argument_value(self) -> Node:
        """One argument in argument mode; `a,b` makes an array."""
        items = [self.parse_argument_atom()]
        while True:
            save = self.i
            self.skip_ws()
            if self.peek() == ",":
                self.i += 1
                self.skip_ws(newlines=True)
                items.append(self.parse_argument_atom())
            else:
                self.i = save
                break
        return items[0] if len(items) == 1 else ArrayLit(items[0].pos, items)

    def parse_argument_atom(self) -> Node:
        pos = self.i
        ch = self.peek()
        if ch in "$@('\"{[" or (ch == "-" and self.peek(1).isdigit()) or ch.isdigit() or (ch == "." and self.peek(1).isdigit()):
            if ch.isdigit() or ch in "-.":
                # a number only if the whole word is numeric; otherwise a bare string like 2x or 1.2.3
                j = self.i
                while j < self.n and self.text[j] not in _ARG_TERMINATORS and self.text[j] != ",":
                    j += 1
                word = self.text[self.i:j]
                num = _parse_number(word)
                if num is not None:
                    self.i = j
                    return Const(pos, num)
                return Const(pos, self.parse_bareword_arg())
            if ch == "[":
                return self.parse_postfix(self.parse_primary())
            return self.parse_postfix(self.parse_primary())
        if ch == ",":
            raise self.error("Missing argument in parameter list.", "MissingArgument")
        return self.parse_expandable_bareword()

    def parse_bareword_arg(self) -> str:
        start = self.i
        while self.i < self.n and self.text[self.i] not in _ARG_TERMINATORS and self.text[self.i] != ",":
            self.i += 1
        return self.text[start:self.i]

    def parse_expandable_bareword(self) -> Node:
        """A bare argument: text up to whitespace/terminator; `$var` inside it expands."""
        pos = self.i
        parts: list[t.Any] = []
        buf = []
        while self.i < self.n:
            ch = self.text[self.i]
            if ch in _ARG_TERMINATORS or ch in ",(" or ch in "{'\"" and not buf and not parts:
                break
            if ch == "`" and self.i + 1 < self.n:
                buf.append(self.text[self.i + 1])
                self.i += 2
                continue
            if ch == "$" and (self.peek(1).isalnum() or self.peek(1) in "_{"):
                if buf:
                    parts.append("".join(buf))
                    buf = []
                parts.append(self.parse_variable())
                continue
            if ch == "{" or ch == "}":
                break
            buf.append(ch)
            self.i += 1
        if buf:
            parts.append("".join(buf))
        if not parts:
            raise self.error(f"Unexpected token '{self.peek()}' in expression or statement.", "UnexpectedToken")
        if len(parts) == 1 and isinstance(parts[0], str):
            return Const(pos, parts[0])
        return Expand(pos, parts)

    # -- expressions ----------------------------------------------------------------------------

    def parse_expression(self) -> Node:
        return self.parse_logical()

    def read_operator(self) -> str | None:
        """`-eq`, `-ieq`, `-ceq`… at the cursor (after whitespace), without consuming."""
        if self.peek() != "-":
            return None
        word = self.word_after_dash().lower()
        if word in LOGICAL_OPS or word in COMPARISON_OPS or word in ("f", "band", "bor", "bxor", "shl", "shr"):
            return word
        if len(word) > 1 and word[0] in CASE_PREFIXES and word[1:] in COMPARISON_OPS:
            return word
        return None

    def parse_logical(self) -> Node:
        left = self.parse_comparison()
        while True:
            save = self.i
            self.skip_ws()
            op = self.read_operator()
            if op in LOGICAL_OPS:
                pos = self.i
                self.i += len(op) + 1
                self.skip_ws(newlines=True)
                self.expect_operand(f"-{op}")
                right = self.parse_comparison()
                left = BinOp(pos, op, left, right)
            else:
                self.i = save
                return left

    def parse_comparison(self) -> Node:
        left = self.parse_additive()
        while True:
            save = self.i
            self.skip_ws()
            op = self.read_operator()
            if op is not None and op not in LOGICAL_OPS:
                pos = self.i
                self.i += len(op) + 1
                self.skip_ws(newlines=True)
                self.expect_operand(f"-{op}")
                right = self.parse_additive()
                left = BinOp(pos, op, left, right)
            else:
                self.i = save
                return left

    def expect_operand(self, op: str) -> None:
        if self.at_end() or self.peek() in ";\r\n)}|":
            raise self.error(f"You must provide a value expression following the '{op}' operator.",
                             "ExpectedValueExpression", incomplete=self.at_end())

    def parse_additive(self) -> Node:
        left = self.parse_multiplicative()
        while True:
            save = self.i
            self.skip_ws()
            ch = self.peek()
            if ch in "+-" and self.peek(1) != "=" and not (ch == "-" and self.read_operator()):
                pos = self.i
                self.i += 1
                self.skip_ws(newlines=True)
                self.expect_operand(ch)
                right = self.parse_multiplicative()
                left = BinOp(pos, ch, left, right)
            else:
                self.i = save
                return left

    def parse_multiplicative(self) -> Node:
        left = self.parse_format()
        while True:
            save = self.i
            self.skip_ws()
            ch = self.peek()
            if ch in "*/%" and self.peek(1) != "=":
                pos = self.i
                self.i += 1
                self.skip_ws(newlines=True)
                self.expect_operand(ch)
                right = self.parse_format()
                left = BinOp(pos, ch, left, right)
            else:
                self.i = save
                return left

    def parse_format(self) -> Node:
        left = self.parse_range()
        while True:
            save = self.i
            self.skip_ws()
            if self.read_operator() == "f":
                pos = self.i
                self.i += 2
                self.skip_ws(newlines=True)
                right = self.parse_range()
                left = BinOp(pos, "f", left, right)
            else:
                self.i = save
                return left

    def parse_range(self) -> Node:
        left = self.parse_array()
        save = self.i
        self.skip_ws()
        if self.peek() == "." and self.peek(1) == ".":
            pos = self.i
            self.i += 2
            self.skip_ws(newlines=True)
            right = self.parse_array()
            return BinOp(pos, "..", left, right)
        self.i = save
        return left

    def parse_unary(self) -> Node:
        pos = self.i
        ch = self.peek()
        if ch == "!":
            self.i += 1
            self.skip_ws()
            return Unary(pos, "not", self.parse_unary())
        if ch == "-":
            word = self.word_after_dash().lower()
            if word in ("not", "bnot"):
                self.i += 1 + len(word)
                self.skip_ws()
                return Unary(pos, word, self.parse_unary())
            if word in ("split", "join"):
                self.i += 1 + len(word)
                self.skip_ws()
                return Unary(pos, word, self.parse_unary())
            if not self.peek(1).isdigit() and self.peek(1) not in "$(.[@'\"":
                raise self.error(f"Unexpected token '-{word}' in expression or statement.", "UnexpectedToken")
            self.i += 1
            self.skip_ws()
            return Unary(pos, "-", self.parse_unary())
        if ch == "+" and self.peek(1) != "+":
            self.i += 1
            self.skip_ws()
            return Unary(pos, "+", self.parse_unary())
        if ch == "[":
            tpos = self.i
            ty = self.parse_type_literal_text()
            if self.peek() == ":" and self.peek(1) == ":":
                return self.parse_postfix(TypeLit(tpos, ty))
            save = self.i
            self.skip_ws()
            if self.at_end() or self.peek() in ";\r\n)}|,":
                self.i = save
                return self.parse_postfix(TypeLit(tpos, ty))
            return Cast(tpos, ty, self.parse_unary())
        return self.parse_postfix(self.parse_primary())

    def parse_array(self) -> Node:
        """The comma operator; a cast or unary operator binds tighter (about_Operator_Precedence)."""
        pos = self.i
        if self.no_comma:
            return self.parse_unary()
        if self.peek() == ",":
            self.i += 1
            self.skip_ws(newlines=True)
            return ArrayLit(pos, [self.parse_unary()])
        first = self.parse_unary()
        items = [first]
        while True:
            save = self.i
            self.skip_ws()
            if self.peek() == ",":
                self.i += 1
                self.skip_ws(newlines=True)
                items.append(self.parse_unary())
            else:
                self.i = save
                break
        return first if len(items) == 1 else ArrayLit(pos, items)

    def parse_postfix(self, node: Node) -> Node:
        while True:
            ch = self.peek()
            if ch == "." and self.peek(1) != "." and (self.peek(1).isalpha() or self.peek(1) in "_$'\"("):
                self.i += 1
                node = self.parse_member(node, static=False)
            elif ch == ":" and self.peek(1) == ":":
                self.i += 2
                node = self.parse_member(node, static=True)
            elif ch == "[":
                pos = self.i
                self.i += 1
                self.skip_ws(newlines=True)
                idx = self.parse_expression()
                self.skip_ws(newlines=True)
                if self.peek() != "]":
                    raise self.error("Array index expression is missing or not valid.", "MissingArrayIndexExpression")
                self.i += 1
                node = Index(pos, node, idx)
            else:
                return node

    def parse_member(self, obj: Node, static: bool) -> Node:
        pos = self.i
        if self.peek() in "'\"":
            name_node = self.parse_primary()
            name: t.Any = name_node.value if isinstance(name_node, Const) else name_node
        elif self.peek() == "$":
            name = self.parse_variable()
        else:
            start = self.i
            while self.i < self.n and (self.text[self.i].isalnum() or self.text[self.i] == "_"):
                self.i += 1
            name = self.text[start:self.i]
            if not name:
                raise self.error("Missing property name after reference operator.", "MissingPropertyName")
        if self.peek() == "(" and isinstance(name, str):
            self.i += 1
            args = []
            self.skip_ws(newlines=True)
            if self.peek() != ")":
                while True:
                    self.skip_ws(newlines=True)
                    args.append(self.parse_logical_no_comma())
                    self.skip_ws(newlines=True)
                    if self.peek() == ",":
                        self.i += 1
                        continue
                    break
            if self.peek() != ")":
                raise self.error("Missing ')' in method call.", "MissingEndParenthesisInMethodCall")
            self.i += 1
            return Call(pos, obj, name, args, static)
        return Member(pos, obj, name, static)

    def parse_logical_no_comma(self) -> Node:
        """Method arguments: commas separate arguments rather than build arrays (only at this
        level: inside `( )`, `@( )`, `{ }` a comma is the array operator again)."""
        saved, self.no_comma = self.no_comma, True
        try:
            return self.parse_logical()
        finally:
            self.no_comma = saved

    def nested(self, fn: t.Callable[[], t.Any]) -> t.Any:
        saved, self.no_comma = self.no_comma, False
        try:
            return fn()
        finally:
            self.no_comma = saved

    def parse_variable(self) -> Node:
        pos = self.i
        splat = self.peek() == "@"
        self.i += 1
        if self.peek() == "{":
            end = self.text.find("}", self.i)
            if end < 0:
                raise self.error("Missing closing '}' in variable name.", "MissingEndCurlyBrace", incomplete=True)
            name = self.text[self.i + 1:end]
            self.i = end + 1
            return Var(pos, name)
        start = self.i
        if self.peek() in "_?^$" and not (self.peek(1).isalnum() or self.peek(1) == "_") or (
                self.peek() == "_" and not self.peek(1).isalnum()):
            self.i += 1
            return Var(pos, self.text[start:self.i], splat)
        while self.i < self.n and (self.text[self.i].isalnum() or self.text[self.i] in "_:"):
            if self.text[self.i] == ":" and not (self.peek(1).isalnum() or self.peek(1) == "_"):
                break
            self.i += 1
        name = self.text[start:self.i]
        if not name:
            raise self.error("Variable reference is not valid. '$' was not followed by a valid variable name "
                             "character. Consider using ${} to delimit the name.", "InvalidVariableReference", pos=pos)
        low = name.lower()
        for scope in ("global:", "script:", "local:", "private:"):
            if low.startswith(scope):
                name = name[len(scope):]
        return Var(pos, name, splat)

    def parse_primary(self) -> Node:
        pos = self.i
        ch = self.peek()
        if ch == EOF:
            raise self.error("You must provide a value expression following the operator.", "ExpectedValueExpression",
                             incomplete=True)
        if ch == "$":
            if self.peek(1) == "(":
                self.i += 2
                body = self.parse_block_body(end_char=")")
                if self.peek() != ")":
                    raise self.error("Missing closing ')' in subexpression.", "MissingEndParenthesisInSubexpression",
                                     pos=pos, incomplete=True)
                self.i += 1
                return SubExpr(pos, body.statements, array=False)
            return self.parse_variable()
        if ch == "@":
            nx = self.peek(1)
            if nx == "(":
                self.i += 2
                body = self.parse_block_body(end_char=")")
                if self.peek() != ")":
                    raise self.error("Missing closing ')' in subexpression.", "MissingEndParenthesisInSubexpression",
                                     pos=pos, incomplete=True)
                self.i += 1
                return SubExpr(pos, body.statements, array=True)
            if nx == "{":
                return self.parse_hashtable()
            if nx.isalpha() or nx == "_":
                return self.parse_variable()
            raise self.error("Unrecognized token in source text.", "UnrecognizedToken")
        if ch == "(":
            self.i += 1
            self.skip_ws(newlines=True)
            if self.peek() == ")":
                raise self.error("An expression was expected after '('.", "ExpectedExpression")
            inner = self.nested(self.parse_statement_value)
            self.skip_ws(newlines=True)
            if self.peek() != ")":
                raise self.error("Missing closing ')' in expression.", "MissingEndParenthesisInExpression",
                                 incomplete=self.at_end())
            self.i += 1
            return Paren(pos, inner)
        if ch == "{":
            self.i += 1
            start = self.i
            body = self.parse_block_body(end_char="}")
            if self.peek() != "}":
                raise self.error("Missing closing '}' in statement block or type definition.", "MissingEndCurlyBrace",
                                 pos=pos, incomplete=True)
            text = self.text[start:self.i]
            self.i += 1
            body.text = text
            return BlockLit(pos, ScriptBlock(body, text))
        if ch == "'":
            return Const(pos, self.parse_single_quoted())
        if ch == '"':
            return self.parse_double_quoted()
        if ch.isdigit() or (ch == "." and self.peek(1).isdigit()):
            j = self.i
            while j < self.n and (self.text[j].isalnum() or self.text[j] == "." and self.text[j + 1:j + 2] != "."):
                j += 1
            word = self.text[self.i:j]
            num = _parse_number(word)
            if num is None:
                raise self.error(f"Unexpected token '{word}' in expression or statement.", "UnexpectedToken")
            self.i = j
            return Const(pos, num)
        if ch == "[":
            ty = self.parse_type_literal_text()
            return TypeLit(pos, ty)
        if ch == "-" or ch == "!":
            return self.parse_unary()
        tok = self.rest_token()
        raise self.error(f"Unexpected token '{tok}' in expression or statement.", "UnexpectedToken")

    def parse_hashtable(self) -> Node:
        return t.cast(Node, self.nested(self._parse_hashtable))

    def _parse_hashtable(self) -> Node:
        pos = self.i
        self.i += 2
        pairs = []
        while True:
            self.skip_separators()
            if self.peek() == "}":
                self.i += 1
                return HashLit(pos, pairs)
            if self.at_end():
                raise self.error("Missing closing '}' in statement block or type definition.", "MissingEndCurlyBrace",
                                 pos=pos, incomplete=True)
            kpos = self.i
            if self.peek() in "'\"":
                key: Node = self.parse_primary()
            elif self.peek() == "$" or self.peek() == "(":
                key = self.parse_primary()
            else:
                start = self.i
                while self.i < self.n and (self.text[self.i].isalnum() or self.text[self.i] in "_-."):
                    self.i += 1
                if start == self.i:
                    raise self.error("Missing key before '=' in hash literal.", "MissingEqualsInHashLiteral")
                key = Const(kpos, self.text[start:self.i])
            self.skip_ws()
            if self.peek() != "=":
                raise self.error("Missing '=' operator after key in hash literal.", "MissingEqualsInHashLiteral")
            self.i += 1
            self.skip_ws(newlines=True)
            value = self.parse_statement_value()
            pairs.append((key, value))
            self.skip_ws()
            if self.peek() not in ";\r\n}":
                raise self.error("Missing statement after '=' in hash literal.", "MissingStatementInHashLiteral")

    def parse_single_quoted(self) -> str:
        start = self.i
        self.i += 1
        out = []
        while True:
            if self.i >= self.n:
                raise self.error("The string is missing the terminator: '.", "TerminatorExpectedAtEndOfString",
                                 pos=start, incomplete=True)
            ch = self.text[self.i]
            if ch in "'\u2018\u2019":
                if self.peek(1) in "'\u2018\u2019":
                    out.append("'")
                    self.i += 2
                    continue
                self.i += 1
                return "".join(out)
            out.append(ch)
            self.i += 1

    def parse_double_quoted(self) -> Node:
        start = self.i
        self.i += 1
        parts: list[t.Any] = []
        buf: list[str] = []
        escapes = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
                   "e": "\x1b"}
        while True:
            if self.i >= self.n:
                raise self.error('The string is missing the terminator: ".', "TerminatorExpectedAtEndOfString",
                                 pos=start, incomplete=True)
            ch = self.text[self.i]
            if ch == '"':
                if self.peek(1) == '"':
                    buf.append('"')
                    self.i += 2
                    continue
                self.i += 1
                break
            if ch == "`" and self.i + 1 < self.n:
                nx = self.text[self.i + 1]
                buf.append(escapes.get(nx, nx))
                self.i += 2
                continue
            if ch == "$":
                nx = self.peek(1)
                if nx == "(":
                    if buf:
                        parts.append("".join(buf))
                        buf = []
                    parts.append(self.parse_primary())
                    continue
                if nx.isalnum() or nx in "_{":
                    if buf:
                        parts.append("".join(buf))
                        buf = []
                    parts.append(self.parse_variable())
                    continue
            buf.append(ch)
            self.i += 1
        if buf:
            parts.append("".join(buf))
        if all(isinstance(p, str) for p in parts):
            return Const(start, "".join(parts))
        return Expand(start, parts)


_MULTIPLIERS = {"kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4, "pb": 1024**5}


def _parse_number(word: str) -> t.Any:
    w = word.lower()
    if not w:
        return None
    mult = 1
    for suffix, m in _MULTIPLIERS.items():
        if w.endswith(suffix):
            mult = m
            w = w[:-2]
            break
    neg = w.startswith("-")
    if neg:
        w = w[1:]
    if w.endswith("l") and w[:-1].isdigit():
        w = w[:-1]
    try:
        if w.startswith("0x"):
            v: t.Any = int(w, 16)
        elif w.endswith("d") and w[:-1].replace(".", "", 1).isdigit():
            import decimal

            v = decimal.Decimal(w[:-1])
        elif w.isdigit():
            v = int(w)
        elif any(c.isdigit() for c in w) and all(c.isdigit() or c in ".e+-" for c in w):
            v = float(w)
        else:
            return None
    except ValueError:
        return None
    v = v * mult
    return -v if neg else v


def parse_script(text: str) -> Script:
    return Parser(text).parse_script()


def parse_scriptblock(text: str) -> ScriptBlock:
    return ScriptBlock(parse_script(text), text)
