"""Internal routes of the auth service (the gateway is the only caller). The gateway
forwards the authenticated caller in X-Registry-User / X-Registry-Admin and the client's
address in X-Registry-Client."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from pydantic import AfterValidator, BaseModel, Field

from registry_auth.service import AuthService, Identity
from registry_common.http import USER_HEADER, user_from_header


class Credentials(BaseModel):
    name: str
    password: str


class NewUser(BaseModel):
    name: str
    password: str
    permissions: list[str] = Field(default_factory=list)
    is_admin: bool = False


class NewPassword(BaseModel):
    password: str
    current_password: str | None = None


class Permissions(BaseModel):
    permissions: list[str] = Field(default_factory=list)
    is_admin: bool = False


Client = Annotated[str, Header(alias="X-Registry-Client")]
CallerName = Annotated[str, Header(alias=USER_HEADER), AfterValidator(user_from_header)]
CallerAdmin = Annotated[bool, Header(alias="X-Registry-Admin")]


def build_router(service: AuthService) -> APIRouter:
    router = APIRouter(prefix="/internal")

    @router.post("/authenticate")
    async def authenticate(body: Credentials, client: Client = "unknown") -> str:
        return await service.authenticate(body.name, body.password, client)

    @router.post("/tokens/spend")
    async def spend(x_authorization: str | None = Header(default=None)) -> dict[str, Any]:
        return (await service.spend(x_authorization)).as_caller()

    @router.get("/users")
    async def users() -> list[dict[str, Any]]:
        return [identity.as_dict() for identity in await service.users()]

    @router.post("/users", status_code=201)
    async def create_user(body: NewUser) -> dict[str, Any]:
        created = await service.create_user(
            body.name, body.password, body.permissions, body.is_admin
        )
        return created.as_dict()

    @router.delete("/users/{name}")
    async def delete_user(
        name: str, caller: CallerName, caller_admin: CallerAdmin = False
    ) -> dict[str, str]:
        await service.delete_user(name, by=Identity(caller, caller_admin, ()))
        return {"status": "deleted", "name": name}

    @router.put("/users/{name}/password")
    async def change_password(
        name: str, body: NewPassword, caller: CallerName, caller_admin: CallerAdmin = False
    ) -> dict[str, str]:
        await service.change_password(
            name,
            body.password,
            by=Identity(caller, caller_admin, ()),
            current_password=body.current_password,
        )
        return {"status": "changed", "name": name}

    @router.put("/users/{name}/permissions")
    async def set_permissions(name: str, body: Permissions) -> dict[str, Any]:
        return (await service.set_permissions(name, body.permissions, body.is_admin)).as_dict()

    return router
