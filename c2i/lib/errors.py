"""The domain error every service raises: a machine-readable code, a French message."""


class DomainError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(message)
