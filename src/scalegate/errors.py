"""Domain exceptions, mapped to HTTP status codes and CLI exit codes in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    path: str
    message: str
    file: str | None = None
    line: int | None = None
    object: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        elif self.line is not None:
            where = f"{self.line}: "  # a line of a batch read from standard input or a request
        obj = f"{self.object}: " if self.object else ""
        path = f"{self.path}: " if self.path else ""
        return f"{where}{obj}{path}{self.message}"


class ScalegateError(Exception):
    """Base of every error a user can cause; carries a stable code and details."""

    def __init__(
        self,
        message: str,
        details: list[Problem] | None = None,
        code: str = "error",
        http_status: int = 400,
        exit_code: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.code = code
        self.http_status = http_status
        self.exit_code = exit_code


class InvalidInput(ScalegateError):
    """The input was read but is not acceptable (schema, references, YAML)."""

    def __init__(self, message: str, details: list[Problem] | None = None) -> None:
        super().__init__(message, details or [], "invalid_input", 422, 2)


class NotFound(ScalegateError):
    """The named object does not exist."""

    def __init__(self, message: str) -> None:
        super().__init__(message, [], "not_found", 404, 1)


class Conflict(ScalegateError):
    """The object exists already, or the change clashes with existing state."""

    def __init__(self, message: str, details: list[Problem] | None = None) -> None:
        super().__init__(message, details or [], "conflict", 409, 1)


class Unauthenticated(ScalegateError):
    """No valid credentials were presented."""

    def __init__(self, message: str = "a valid bearer token is required") -> None:
        super().__init__(message, [], "unauthenticated", 401, 3)


class Forbidden(ScalegateError):
    """The actor is known but its roles do not allow the action."""

    def __init__(self, message: str) -> None:
        super().__init__(message, [], "forbidden", 403, 3)


class GateBlocked(ScalegateError):
    """A blocking rule fails and no waiver covers it."""

    def __init__(self, message: str, details: list[Problem] | None = None) -> None:
        super().__init__(message, details or [], "gate_blocked", 409, 3)
