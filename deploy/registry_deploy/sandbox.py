"""The sandbox runner: untrusted programs (card demos, download monitors) run in a task
of their own, never beside the services' secrets (docs/security/sandbox.md).

Fargate allows neither privileged containers nor user namespaces, so the namespace wall the
registry builds on a host (bubblewrap) is not available there; a container in the scoring
task would share that task's role and the secrets injected into it. Instead:

* its own task definition, with **no secrets** and a task role with **no permissions**;
* its own security group: it accepts connections only from the scoring service (card demos)
  and the ingest service (download monitors of sensitive models), on the runner's port, and
  may connect only to HTTPS (the Hugging Face Hub, a customer's audit server), so neither the
  database, nor the other services, nor the task metadata of another task is reachable;
* inside, ``python -m registry_common.sandbox`` runs each program under a separate uid
  (``setpriv``; the container starts as root for that and only that), with resource limits,
  a clean environment and a private directory on the task's ephemeral storage.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_servicediscovery as servicediscovery
from constructs import Construct

from registry_deploy.config import DeploymentConfig
from registry_deploy.containers import image_health_check, mount_writable_tmp
from registry_deploy.storage import retention
from registry_deploy.topology import SERVICE_PORT

NAME = "sandbox"
CALLERS = ("scoring", "ingest")  # the services that run programs in it
# Its image: the scoring image holds the demos' Python and libraries, and Node.js 24 (npm's
# `node` package) at NODE24 for the download monitors.
IMAGE_OF = "scoring"
NODE24 = "/opt/node24/bin/node"
CPU = 1024
MEMORY_MIB = 4096  # two programs at once, 2 GiB of address space each
# Capabilities the runner keeps (as root, before a program drops them all): switching to the
# sandbox uid (SETUID, SETGID, SETPCAP for the bounding set), handing the run directory to it
# and removing it afterwards (CHOWN, DAC_OVERRIDE, FOWNER), and killing the program (KILL).
DROPPED_CAPABILITIES = (
    ecs.Capability.AUDIT_WRITE,
    ecs.Capability.FSETID,
    ecs.Capability.MKNOD,
    ecs.Capability.NET_BIND_SERVICE,
    ecs.Capability.NET_RAW,
    ecs.Capability.SETFCAP,
    ecs.Capability.SYS_CHROOT,
)


class SandboxRunner(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        vpc: ec2.IVpc,
        cluster: ecs.ICluster,
        namespace: servicediscovery.INamespace,
        subnets: ec2.SubnetSelection,
        callers: dict[str, ec2.SecurityGroup],
        image_tag: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.security_group = ec2.SecurityGroup(
            self,
            "sandbox-sg",
            vpc=vpc,
            description=(
                "registry sandbox: untrusted programs; in from scoring and ingest, out to HTTPS"
            ),
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS: the Hugging Face Hub, audit servers"
        )
        for name, group in callers.items():
            group.connections.allow_to(
                self.security_group, ec2.Port.tcp(SERVICE_PORT), f"{name} runs programs"
            )
        # A role with nothing attached: the task's credentials open no AWS API.
        self.task_role = iam.Role(
            self,
            "TaskRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="registry sandbox runner: deliberately without permissions",
        )
        log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/{config.prefix}/{NAME}",
            retention=retention(config.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.task_definition = ecs.FargateTaskDefinition(
            self,
            "Task",
            family=f"{config.prefix}-{NAME}",
            cpu=CPU,
            memory_limit_mib=MEMORY_MIB,
            task_role=self.task_role,
            runtime_platform=ecs.RuntimePlatform(
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
                cpu_architecture=ecs.CpuArchitecture.X86_64,
            ),
        )
        repository = ecr.Repository.from_repository_name(
            self, "Repository", f"{config.prefix}/{IMAGE_OF}"
        )
        linux = ecs.LinuxParameters(self, "Linux", init_process_enabled=True)
        linux.drop_capabilities(*DROPPED_CAPABILITIES)
        container = self.task_definition.add_container(
            "app",
            container_name=NAME,
            image=ecs.ContainerImage.from_ecr_repository(repository, tag=image_tag),
            entry_point=["python", "-m", "registry_common.sandbox"],
            # Root inside the container only to give each program its own uid (setpriv).
            user="0",
            essential=True,
            environment={
                "HOST": "0.0.0.0",  # noqa: S104 - the task's own interface, closed by its group
                "PORT": str(SERVICE_PORT),
                "SANDBOX_ISOLATION": "uid",
                "SANDBOX_MAX_CONCURRENT": "2",
                "HEALTHCHECK_PATH": "/health",
                "REGISTRY_LOG_LEVEL": "INFO",
            },
            port_mappings=[ecs.PortMapping(container_port=SERVICE_PORT, name="http")],
            logging=ecs.LogDriver.aws_logs(
                stream_prefix="app", log_group=log_group, mode=ecs.AwsLogDriverMode.NON_BLOCKING
            ),
            readonly_root_filesystem=True,
            linux_parameters=linux,
            stop_timeout=Duration.seconds(30),
            health_check=image_health_check(start_period=Duration.seconds(30)),
        )
        mount_writable_tmp(self.task_definition, container)
        self.service = ecs.FargateService(
            self,
            "Service",
            service_name=f"{config.prefix}-{NAME}",
            cluster=cluster,
            task_definition=self.task_definition,
            desired_count=1,
            vpc_subnets=subnets,
            assign_public_ip=not config.egress_via_nat,
            security_groups=[self.security_group],
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            min_healthy_percent=100,
            max_healthy_percent=200,
            cloud_map_options=ecs.CloudMapOptions(
                name=NAME,
                cloud_map_namespace=namespace,
                dns_record_type=servicediscovery.DnsRecordType.A,
                dns_ttl=Duration.seconds(10),
            ),
            # No ECS Exec: a shell in the task would be a way around the runner.
            enable_execute_command=False,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
        )
