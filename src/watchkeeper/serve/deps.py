"""What every request needs: the service's context and the calling partner (Bearer key).

No key (or not a Bearer one) or an unknown or revoked key: 401. A key without the scope the
route needs: 403. The partner's code is left on ``request.state`` for the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from watchkeeper.serve.audit import AuditLog
from watchkeeper.serve.db import ServiceDB
from watchkeeper.serve.partners import Partner, Scope, authenticate
from watchkeeper.serve.settings import ServeSettings
from watchkeeper.store.base import Store

__all__ = ["Ctx", "get_ctx", "note", "partner_with"]

bearer = HTTPBearer(
    auto_error=False,
    description="The partner's API key: `Authorization: "
    "Bearer wk_...` (from `watchkeeper partners add`).",
)


@dataclass(frozen=True)
class Ctx:
    """The service's state, built once by the app factory."""

    settings: ServeSettings
    db: ServiceDB
    store: Store
    audit: AuditLog


def get_ctx(request: Request) -> Ctx:
    """The app's :class:`Ctx`."""
    ctx: Ctx = request.app.state.ctx
    return ctx


def partner_with(needed: Scope) -> Callable[..., Partner]:
    """A dependency giving the calling partner, if its key has scope ``needed``."""

    def dependency(
        request: Request,
        ctx: Annotated[Ctx, Depends(get_ctx)],
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Partner:
        challenge = {"WWW-Authenticate": "Bearer"}
        if creds is None:
            raise HTTPException(401, "missing API key: send Authorization: Bearer KEY", challenge)
        partner = authenticate(ctx.db, creds.credentials)
        if partner is None:
            raise HTTPException(401, "unknown or revoked API key", challenge)
        request.state.partner = partner.code
        if not partner.scope.allows(needed):
            raise HTTPException(403, f"this key's scope is {partner.scope}; {needed} is needed")
        return partner

    return dependency


def note(request: Request, *, marking: dict[str, Any] | None = None, **detail: Any) -> None:
    """Leave the marking of what is answered (and counts, ids) for the audit line."""
    request.state.audit_marking = marking
    request.state.audit_detail = detail


ReadPartner = Annotated[Partner, Depends(partner_with(Scope.READ))]
PublishPartner = Annotated[Partner, Depends(partner_with(Scope.PUBLISH))]
CtxDep = Annotated[Ctx, Depends(get_ctx)]
