"""AWS-style answers where the embedded SQS server (moto) has none: an operation it does not
implement gets the protocol's ``UnsupportedOperation`` error (HTTP 400, JSON or XML as the client
spoke), and a fault inside moto a JSON/XML ``InternalError`` (HTTP 500), each logged in one line.

Without this, moto raises and its web server answers an HTML 500 page: the AWS CLI retries it
four times, the JavaScript SDK fails parsing it (``Unexpected token '<'``), and a traceback fills
the console of ``triggersqs dev``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any

logger = logging.getLogger("triggersqs.embedded_sqs")

_installed = False
_lock = threading.Lock()


def install_aws_errors() -> None:
    """Patch moto's SQS responses once (process-wide, as moto's backends are)."""
    global _installed  # noqa: PLW0603 - a process-wide patch, applied once
    from moto.sqs import responses

    with _lock:
        if not _installed:
            # _dispatch parses the request (an unknown operation fails there) and calls it.
            responses.SQSResponse._dispatch = _answering(  # type: ignore[method-assign]
                responses.SQSResponse._dispatch
            )
            _installed = True


def _answering(dispatch: Callable[..., Any]) -> Callable[..., Any]:
    from botocore.model import OperationNotFoundError
    from moto.core.responses import ActionResult
    from moto.sqs.exceptions import SQSException
    from werkzeug.exceptions import HTTPException

    @wraps(dispatch)
    def answered(response: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - moto's
        try:
            return dispatch(response, *args, **kwargs)
        except (NotImplementedError, OperationNotFoundError):
            action = response._get_action()
            logger.warning("SQS operation not supported here", extra={"operation": action})
            error = SQSException(
                "UnsupportedOperation",
                f"{action} is not supported by this SQS-compatible server (moto, in triggersqs)",
            )
            return response.serialized(ActionResult(error))
        except HTTPException:
            raise  # an answer moto chose (its web layer renders it), not a fault
        except Exception as exc:  # noqa: BLE001 - any fault inside moto: an AWS error, not HTML
            action = response._get_action()
            logger.warning(
                "the embedded SQS server failed",
                extra={"operation": action, "error": f"{type(exc).__name__}: {exc}"},
            )
            error = SQSException("InternalError", "the SQS-compatible server failed: try again")
            _status, headers, body = response.serialized(ActionResult(error))
            return 500, headers, body

    return answered
