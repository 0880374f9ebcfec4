"""Internal routes of the auth service (the gateway is the only caller)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header
from pydantic import BaseModel

from registry_auth.service import AuthService


class Credentials(BaseModel):
    name: str
    password: str


def build_router(service: AuthService) -> APIRouter:
    router = APIRouter(prefix="/internal")

    @router.post("/authenticate")
    async def authenticate(body: Credentials) -> str:
        return await service.authenticate(body.name, body.password)

    @router.post("/tokens/spend")
    async def spend(x_authorization: str | None = Header(default=None)) -> dict[str, Any]:
        return (await service.spend(x_authorization)).as_dict()

    @router.get("/users")
    async def users() -> list[dict[str, Any]]:
        return [identity.as_dict() for identity in await service.users()]

    return router
