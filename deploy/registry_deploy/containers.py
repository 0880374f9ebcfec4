"""What every container built from the service image template (deploy/docker/Dockerfile)
gets in ECS, whichever task runs it: the six services and the sandbox runner."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_ecs as ecs

TMP_VOLUME = "tmp"


def image_health_check(start_period: Duration) -> ecs.HealthCheck:
    """The image's own HEALTHCHECK (`deploy/docker/healthcheck.py`, same timings), spelled
    out because ECS ignores a Dockerfile's HEALTHCHECK. `HEALTHCHECK_PATH` picks the route."""
    return ecs.HealthCheck(
        command=["CMD", "python", "/app/healthcheck.py"],
        interval=Duration.seconds(15),
        timeout=Duration.seconds(10),
        retries=3,
        start_period=start_period,
    )


def mount_writable_tmp(task: ecs.TaskDefinition, container: ecs.ContainerDefinition) -> None:
    """The root filesystem is read-only; /tmp, on the task's ephemeral storage, is the only
    place the container writes (HOME, caches, the data directory, the sandbox's programs)."""
    task.add_volume(name=TMP_VOLUME)
    container.add_mount_points(
        ecs.MountPoint(container_path="/tmp", source_volume=TMP_VOLUME, read_only=False)  # noqa: S108
    )
