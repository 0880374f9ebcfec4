"""The six services on ECS Fargate: one service per container image, each task with the ADOT
collector beside it, found by each other through Cloud Map (`<service>.<prefix>.internal`),
and only the gateway behind the public load balancer.

Every grant is derived from `topology.SERVICES`: a service's task role can touch exactly the
queues it consumes, the topics it publishes to, and the bucket paths it reads or writes; its
execution role can read exactly the secrets it is given. Security groups follow the same
table: a service accepts connections only from the services that call it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_cdk import Aws, Duration, Fn, RemovalPolicy, Size
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_elasticloadbalancingv2_targets as elbv2_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_servicediscovery as servicediscovery
from constructs import Construct

from registry_deploy.config import DeploymentConfig
from registry_deploy.containers import image_health_check, mount_writable_tmp
from registry_deploy.database_roles import DatabaseRoles
from registry_deploy.messaging import EventBus
from registry_deploy.sandbox import CALLERS as SANDBOX_CALLERS
from registry_deploy.sandbox import NAME as SANDBOX_NAME
from registry_deploy.sandbox import NODE24 as SANDBOX_NODE24
from registry_deploy.sandbox import SandboxRunner
from registry_deploy.storage import (
    DATABASE_NAME,
    DATABASE_PORT,
    ArtifactBucket,
    Database,
    Secrets,
    retention,
)
from registry_deploy.telemetry import collector_config_text
from registry_deploy.topology import ARTIFACT_PREFIX, SERVICE_PORT, SERVICES, ServiceSpec

OTLP_ENDPOINT = "http://localhost:4318"
METRICS_NAMESPACE = "Registry"  # the health service's and the collector's (EMF) metrics
COLLECTOR_MEMORY_MIB = 256
# Connections the load balancer keeps open without a byte: a create waits up to
# INGEST_RATING_WAIT_SECONDS (60 s) for the rating before it answers.
ALB_IDLE_TIMEOUT = Duration.seconds(120)
EPHEMERAL_STORAGE_GIB = {"ingest": 40}  # sources up to 2 GiB are unpacked and re-zipped


@dataclass(frozen=True)
class Platform:
    """What the services run on and talk to, made by the stack."""

    config: DeploymentConfig
    vpc: ec2.IVpc
    bucket: ArtifactBucket
    database: Database
    secrets: Secrets
    bus: EventBus
    image_tag: str


class RegistryServices(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, platform: Platform) -> None:
        super().__init__(scope, construct_id)
        self.platform = platform
        config = platform.config
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            cluster_name=config.prefix,
            vpc=platform.vpc,
            enable_fargate_capacity_providers=True,
        )
        self.namespace = servicediscovery.PrivateDnsNamespace(
            self,
            "Namespace",
            name=f"{config.prefix}.internal",
            vpc=platform.vpc,
            description="internal names of the registry's services",
        )
        self.subnets = ec2.SubnetSelection(
            subnet_type=(
                ec2.SubnetType.PRIVATE_WITH_EGRESS
                if config.egress_via_nat
                else ec2.SubnetType.PUBLIC
            )
        )
        self.database_roles = DatabaseRoles(
            self,
            "DatabaseRoles",
            config=config,
            vpc=platform.vpc,
            database=platform.database,
            cluster=self.cluster,
            subnets=self.subnets,
            image_tag=platform.image_tag,
        )
        self.security_groups = {spec.name: self._security_group(spec) for spec in SERVICES}
        self._connect_security_groups()
        self.load_balancer, self.public_url = self._load_balancer()
        # Untrusted programs run in their own task, without secrets or permissions.
        self.sandbox = SandboxRunner(
            self,
            "Sandbox",
            config=config,
            vpc=platform.vpc,
            cluster=self.cluster,
            namespace=self.namespace,
            subnets=self.subnets,
            callers={name: self.security_groups[name] for name in SANDBOX_CALLERS},
            image_tag=platform.image_tag,
        )
        self.metrics_log_group = logs.LogGroup(
            self,
            "MetricsLogs",
            log_group_name=f"/{config.prefix}/metrics",
            retention=retention(config.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.log_groups: dict[str, logs.LogGroup] = {}
        self.task_definitions: dict[str, ecs.FargateTaskDefinition] = {}
        self.services: dict[str, ecs.FargateService] = {}
        self.gateway_function: lambda_.DockerImageFunction | None = None
        for spec in SERVICES:
            if spec.public and config.gateway_shape == "lambda":
                self.gateway_function = self._gateway_function(spec)
            else:
                self._service(spec)
        self.target_group = self._expose_gateway()
        self._autoscale()

    # ------------------------------------------------------------------ names

    def url_of(self, name: str) -> str:
        return f"http://{name}.{self.platform.config.prefix}.internal:{SERVICE_PORT}"

    # ------------------------------------------------------------------ network

    def _security_group(self, spec: ServiceSpec) -> ec2.SecurityGroup:
        group = ec2.SecurityGroup(
            self,
            f"{spec.name}-sg",
            vpc=self.platform.vpc,
            description=f"registry {spec.name}: {spec.summary}",
            allow_all_outbound=False,
        )
        # AWS APIs (S3, SNS, SQS, Secrets Manager, X-Ray, CloudWatch), the Hugging Face Hub
        # and GitHub: all HTTPS. DNS goes to the VPC resolver, which groups do not filter.
        group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS: AWS APIs, Hub")
        if spec.name == "health" and not self.platform.config.certificate_arn:
            # Load tests download from the deployment's own load balancer (HEALTH_LOADTEST_
            # TARGET_URL); without a certificate it listens on HTTP. The balancer is internet
            # facing, so the connection leaves through the NAT or the task's public address and
            # no group reference can name it.
            group.add_egress_rule(
                ec2.Peer.any_ipv4(), ec2.Port.tcp(80), "HTTP: load tests of the own load balancer"
            )
        return group

    def _connect_security_groups(self) -> None:
        database = self.platform.database.security_group
        for spec in SERVICES:
            group = self.security_groups[spec.name]
            if spec.database:
                group.connections.allow_to(
                    database, ec2.Port.tcp(DATABASE_PORT), f"{spec.name} to PostgreSQL"
                )
            for callee in spec.calls:
                group.connections.allow_to(
                    self.security_groups[callee],
                    ec2.Port.tcp(SERVICE_PORT),
                    f"{spec.name} calls {callee}",
                )

    def _load_balancer(self) -> tuple[elbv2.ApplicationLoadBalancer, str]:
        config = self.platform.config
        group = ec2.SecurityGroup(
            self,
            "alb-sg",
            vpc=self.platform.vpc,
            description="registry load balancer: HTTP(S) from the internet, to the gateway",
            allow_all_outbound=False,
        )
        group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(80), "HTTP")
        if config.certificate_arn:
            group.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS")
        balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=self.platform.vpc,
            internet_facing=True,
            security_group=group,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            drop_invalid_header_fields=True,
            idle_timeout=ALB_IDLE_TIMEOUT,
        )
        scheme = "https" if config.certificate_arn else "http"
        return balancer, config.public_url or f"{scheme}://{balancer.load_balancer_dns_name}"

    # ------------------------------------------------------------------ services

    def _service(self, spec: ServiceSpec) -> None:
        config = self.platform.config
        size = config.task_sizes[spec.name]
        title = spec.name.capitalize()
        log_group = logs.LogGroup(
            self,
            f"{title}Logs",
            log_group_name=f"/{config.prefix}/{spec.name}",
            retention=retention(config.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        task = ecs.FargateTaskDefinition(
            self,
            f"{title}Task",
            family=f"{config.prefix}-{spec.name}",
            cpu=size.cpu,
            memory_limit_mib=size.memory_mib,
            ephemeral_storage_gib=EPHEMERAL_STORAGE_GIB.get(spec.name),
            runtime_platform=ecs.RuntimePlatform(
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
                cpu_architecture=ecs.CpuArchitecture.X86_64,
            ),
        )
        repository = ecr.Repository.from_repository_name(
            self, f"{title}Repository", f"{config.prefix}/{spec.name}"
        )
        app = task.add_container(
            "app",
            container_name=spec.name,
            image=ecs.ContainerImage.from_ecr_repository(repository, tag=self.platform.image_tag),
            essential=True,
            environment=self._environment(spec),
            secrets=self._secrets(spec),
            port_mappings=[ecs.PortMapping(container_port=SERVICE_PORT, name="http")],
            logging=ecs.LogDriver.aws_logs(
                stream_prefix="app",
                log_group=log_group,
                mode=ecs.AwsLogDriverMode.NON_BLOCKING,
                max_buffer_size=Size.mebibytes(25),
            ),
            readonly_root_filesystem=True,
            # An init process reaps children and forwards SIGTERM; 30 s lets in-flight
            # requests and event handlers finish.
            linux_parameters=ecs.LinuxParameters(self, f"{title}Linux", init_process_enabled=True),
            stop_timeout=Duration.seconds(30),
            health_check=image_health_check(start_period=Duration.seconds(60)),
        )
        mount_writable_tmp(task, app)
        collector = task.add_container(
            "adot",
            container_name="adot-collector",
            image=ecs.ContainerImage.from_registry(config.adot_image),
            # Telemetry never takes a service down: if the collector stops, spans are lost
            # but requests are served (and the health feed keeps working).
            essential=False,
            memory_limit_mib=COLLECTOR_MEMORY_MIB,
            environment={"AOT_CONFIG_CONTENT": self._collector_config(spec)},
            secrets=(
                {}
                if spec.name == "health"
                else {"REGISTRY_INTERNAL_TOKEN": self._secret(self.platform.secrets.internal_token)}
            ),
            logging=ecs.LogDriver.aws_logs(
                stream_prefix="adot", log_group=log_group, mode=ecs.AwsLogDriverMode.NON_BLOCKING
            ),
            readonly_root_filesystem=True,
            health_check=ecs.HealthCheck(
                command=["CMD", "/healthcheck"],
                interval=Duration.seconds(30),
                timeout=Duration.seconds(5),
                retries=3,
                start_period=Duration.seconds(15),
            ),
        )
        app.add_container_dependencies(
            ecs.ContainerDependency(
                container=collector, condition=ecs.ContainerDependencyCondition.START
            )
        )
        self._grant(spec, task.task_role)

        service = ecs.FargateService(
            self,
            f"{title}Service",
            service_name=f"{config.prefix}-{spec.name}",
            cluster=self.cluster,
            task_definition=task,
            desired_count=size.min_tasks,
            vpc_subnets=self.subnets,
            assign_public_ip=not config.egress_via_nat,
            security_groups=[self.security_groups[spec.name]],
            # A deployment whose tasks do not become healthy stops and rolls back to the
            # previous task definition (and CloudFormation rolls the stack back).
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            min_healthy_percent=100,
            max_healthy_percent=200,
            cloud_map_options=ecs.CloudMapOptions(
                name=spec.name,
                cloud_map_namespace=self.namespace,
                dns_record_type=servicediscovery.DnsRecordType.A,
                dns_ttl=Duration.seconds(10),
            ),
            capacity_provider_strategies=(
                [ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1)]
                if config.spot_workers and spec.name in ("scoring", "lineage")
                else None
            ),
            enable_execute_command=config.enable_exec,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
            health_check_grace_period=Duration.seconds(90) if spec.public else None,
        )
        if spec.database:  # its role and schema exist before its first start
            service.node.add_dependency(self.database_roles.resource)
        self.log_groups[spec.name] = log_group
        self.task_definitions[spec.name] = task
        self.services[spec.name] = service

    def _gateway_function(self, spec: ServiceSpec) -> lambda_.DockerImageFunction:
        """The gateway as a Lambda function (`gateway_shape=lambda`): the same image, run by
        the Lambda runtime client with `registry_gateway.lambda_handler.handler`, in the
        same subnets and security group as the Fargate gateway, invoked by the load
        balancer (ALB events). No collector sidecar: logs go to CloudWatch from stdout."""
        config = self.platform.config
        log_group = logs.LogGroup(
            self,
            "GatewayLogs",
            log_group_name=f"/{config.prefix}/{spec.name}",
            retention=retention(config.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        repository = ecr.Repository.from_repository_name(
            self, "GatewayRepository", f"{config.prefix}/{spec.name}"
        )
        env = self._environment(spec) | {
            # A Lambda response holds at most 6 MB: downloads are always redirects to S3.
            "GATEWAY_DOWNLOAD_REDIRECT": "true",
            # No sidecar collector to send spans and logs to.
            "REGISTRY_TELEMETRY_EXPORTER": "none",
            "REGISTRY_LOG_EXPORTER": "none",
            # Lambda's environment has no secret injection: the handler reads the internal
            # token from Secrets Manager at cold start (lambda_handler.load_secrets).
            "GATEWAY_INTERNAL_TOKEN_SECRET_ARN": self.platform.secrets.internal_token.secret_arn,
        }
        env.pop("REGISTRY_OTLP_ENDPOINT", None)
        env.pop("GATEWAY_TRUSTED_PROXIES", None)  # the ALB's address arrives in the event
        function = lambda_.DockerImageFunction(
            self,
            "GatewayFunction",
            function_name=f"{config.prefix}-{spec.name}",
            code=lambda_.DockerImageCode.from_ecr(
                repository,
                tag_or_digest=self.platform.image_tag,
                entrypoint=["python", "-m", "awslambdaric"],
                cmd=["registry_gateway.lambda_handler.handler"],
            ),
            architecture=lambda_.Architecture.X86_64,
            memory_size=config.gateway_lambda_memory_mib,
            # A create waits up to 60 s for its rating (INGEST_RATING_WAIT_SECONDS).
            timeout=Duration.seconds(90),
            environment=env,
            vpc=self.platform.vpc,
            vpc_subnets=self.subnets,
            allow_public_subnet=not config.egress_via_nat,
            security_groups=[self.security_groups[spec.name]],
            log_group=log_group,
        )
        self.platform.secrets.internal_token.grant_read(function)
        assert function.role is not None
        self._grant(spec, function.role)
        self.log_groups[spec.name] = log_group
        return function

    def _environment(self, spec: ServiceSpec) -> dict[str, str]:
        config = self.platform.config
        env = {
            # registry_common.settings.RuntimeSettings: the same for every service.
            "REGISTRY_BLOB_BACKEND": "s3",
            "REGISTRY_S3_BUCKET": self.platform.bucket.bucket.bucket_name,
            "REGISTRY_BUS_BACKEND": "sns-sqs",
            "REGISTRY_BUS_PREFIX": config.prefix,
            "REGISTRY_BUS_PROVISION": "false",
            # The longest SQS long poll: fewest receive calls (each is a billed request).
            "REGISTRY_BUS_WAIT_SECONDS": "20",
            "REGISTRY_AWS_REGION": Aws.REGION,
            "REGISTRY_TELEMETRY_EXPORTER": "otlp",
            "REGISTRY_OTLP_ENDPOINT": OTLP_ENDPOINT,
            "REGISTRY_LOG_EXPORTER": "otlp",
            "REGISTRY_LOG_LEVEL": "INFO",
            "HF_HUB_DISABLE_TELEMETRY": "1",
        }
        if spec.database:
            instance = self.platform.database.instance
            env |= {
                # deploy/docker/entrypoint.py joins these and the secret's user and password
                # into REGISTRY_DATABASE_URL.
                "REGISTRY_DATABASE_HOST": instance.db_instance_endpoint_address,
                "REGISTRY_DATABASE_PORT": str(DATABASE_PORT),
                "REGISTRY_DATABASE_NAME": DATABASE_NAME,
            }
        if spec.name == "gateway":
            env |= {f"GATEWAY_{callee.upper()}_URL": self.url_of(callee) for callee in spec.calls}
            # Only the load balancer connects to the gateway, from inside the VPC: its
            # X-Forwarded-For is believed from there and from nowhere else.
            env["GATEWAY_TRUSTED_PROXIES"] = self.platform.vpc.vpc_cidr_block
            env["GATEWAY_DOWNLOAD_REDIRECT"] = "true" if config.download_redirect else "false"
        if spec.name in SANDBOX_CALLERS:
            # Card demos and download monitors run in the sandbox task
            # (deploy/registry_deploy/sandbox.py).
            env[f"{spec.name.upper()}_SANDBOX_URL"] = self.url_of(SANDBOX_NAME)
        if spec.name == "ingest":
            # The monitors' node is the runner image's, not this image's.
            env["INGEST_MONITOR_NODE"] = SANDBOX_NODE24
        if spec.name == "health":
            env |= {f"HEALTH_{peer.upper()}_URL": self.url_of(peer) for peer in spec.calls}
            env["HEALTH_PUBLIC_URL"] = self.public_url
            # Load tests (R21) target this deployment's own load balancer, never a URL a
            # request names; remote because it is not loopback.
            env["HEALTH_LOADTEST_TARGET_URL"] = self.public_url
            env["HEALTH_LOADTEST_ALLOW_REMOTE_TARGET"] = "true"
            env["HEALTH_VERSION"] = self.platform.image_tag
            # The feed's own figures (statuses, queue depths) as CloudWatch metrics too.
            env["HEALTH_CLOUDWATCH_METRICS"] = "true"
            # Whose queues the feed reports and whose dead letters an admin may redrive.
            env["HEALTH_BUS_CONSUMERS"] = json.dumps(sorted(self.platform.bus.queues))
        env |= config.extra_env.get(spec.name, {})
        return env

    def _secret(self, secret: secretsmanager.ISecret, field: str | None = None) -> ecs.Secret:
        return ecs.Secret.from_secrets_manager(secret, field)

    def _secrets(self, spec: ServiceSpec) -> dict[str, ecs.Secret]:
        """Injected by ECS at start from Secrets Manager; only the execution role can read
        them, and only the ones listed here."""
        secrets = self.platform.secrets
        result = {"REGISTRY_INTERNAL_TOKEN": self._secret(secrets.internal_token)}
        if spec.database:  # its own role's login, never the master user's
            own = self.database_roles.secrets[spec.name]
            result["REGISTRY_DATABASE_USER"] = self._secret(own, "username")
            result["REGISTRY_DATABASE_PASSWORD"] = self._secret(own, "password")
        if spec.name == "auth":
            result["AUTH_TOKEN_SECRET"] = self._secret(secrets.token_signing_key)
            if secrets.initial_admin_password is not None:
                result["AUTH_INITIAL_ADMIN_PASSWORD"] = self._secret(secrets.initial_admin_password)
        if secrets.github_token is not None and spec.name != "gateway" and spec.name != "auth":
            result["GITHUB_TOKEN"] = self._secret(secrets.github_token)
        return result

    def _collector_config(self, spec: ServiceSpec) -> str:
        """deploy/otel-collector.yaml with the deployment's names filled in at deploy time.
        The internal token stays `${env:REGISTRY_INTERNAL_TOKEN}` (the collector reads it
        from its secret); Fn::Sub's `${!...}` escape keeps CloudFormation from reading it."""
        text = collector_config_text(spec.name).replace("${", "${!")
        variables = {"EmfLogGroup": self.metrics_log_group.log_group_name}
        text = text.replace("${!env:EMF_LOG_GROUP}", "${EmfLogGroup}")
        if spec.name != "health":
            variables["HealthOtlpEndpoint"] = f"{self.url_of('health')}/internal/otlp"
            text = text.replace("${!env:HEALTH_OTLP_ENDPOINT}", "${HealthOtlpEndpoint}")
        return Fn.sub(text, variables)

    # ------------------------------------------------------------------ permissions

    def _grant(self, spec: ServiceSpec, role: iam.IRole) -> None:
        for statement in task_statements(spec, self.platform, self.metrics_log_group):
            role.add_to_principal_policy(statement)

    # ------------------------------------------------------------------ gateway, scaling

    def _expose_gateway(self) -> elbv2.ApplicationTargetGroup:
        if self.gateway_function is not None:
            target_group = elbv2.ApplicationTargetGroup(
                self,
                "GatewayTargets",
                targets=[elbv2_targets.LambdaTarget(self.gateway_function)],
            )
            self._listen(target_group)
            return target_group
        gateway = self.services["gateway"]
        target_group = elbv2.ApplicationTargetGroup(
            self,
            "GatewayTargets",
            vpc=self.platform.vpc,
            port=SERVICE_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            deregistration_delay=Duration.seconds(30),
            health_check=elbv2.HealthCheck(
                path="/health",
                healthy_http_codes="200",
                interval=Duration.seconds(15),
                timeout=Duration.seconds(5),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
        )
        gateway.attach_to_application_target_group(target_group)
        self.security_groups["gateway"].connections.allow_from(
            self.load_balancer, ec2.Port.tcp(SERVICE_PORT), "load balancer to gateway"
        )
        self._listen(target_group)
        return target_group

    def _listen(self, target_group: elbv2.ApplicationTargetGroup) -> None:
        config = self.platform.config
        if config.certificate_arn:
            self.load_balancer.add_listener(
                "Https",
                port=443,
                protocol=elbv2.ApplicationProtocol.HTTPS,
                certificates=[elbv2.ListenerCertificate.from_arn(config.certificate_arn)],
                ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
                default_target_groups=[target_group],
                open=False,
            )
            self.load_balancer.add_redirect(source_port=80, target_port=443)
        else:
            self.load_balancer.add_listener(
                "Http",
                port=80,
                protocol=elbv2.ApplicationProtocol.HTTP,
                default_target_groups=[target_group],
                open=False,
            )

    def _autoscale(self) -> None:
        config = self.platform.config
        for spec in SERVICES:
            if spec.name not in self.services:
                continue  # the Lambda gateway: AWS scales it per request
            size = config.task_sizes[spec.name]
            if size.max_tasks <= size.min_tasks:
                continue
            scaling = self.services[spec.name].auto_scale_task_count(
                min_capacity=size.min_tasks, max_capacity=size.max_tasks
            )
            scaling.scale_on_cpu_utilization(
                "Cpu",
                target_utilization_percent=60,
                scale_in_cooldown=Duration.minutes(5),
                scale_out_cooldown=Duration.minutes(1),
            )
            if spec.public:
                scaling.scale_on_request_count(
                    "Requests",
                    requests_per_target=600,  # per minute and task
                    target_group=self.target_group,
                    scale_in_cooldown=Duration.minutes(5),
                    scale_out_cooldown=Duration.minutes(1),
                )
            queue = self.platform.bus.queues.get(spec.name)
            if queue is not None and spec.name in ("scoring", "lineage", "ingest"):
                # Workers: a backlog of events adds tasks before the CPU shows it (a rating
                # waits on network calls much of the time).
                scaling.scale_on_metric(
                    "Backlog",
                    metric=queue.metric_approximate_number_of_messages_visible(
                        period=Duration.minutes(1), statistic="Maximum"
                    ),
                    scaling_steps=[
                        {"upper": 0, "change": -1},
                        {"lower": 20, "change": +1},
                        {"lower": 100, "change": +2},
                    ],
                    adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
                    cooldown=Duration.minutes(2),
                )


def task_statements(
    spec: ServiceSpec, platform: Platform, metrics_log_group: logs.ILogGroup
) -> list[iam.PolicyStatement]:
    """The task role's permissions of one service (what its code calls, nothing more)."""
    statements: list[iam.PolicyStatement] = []
    bucket = platform.bucket.bucket
    if spec.blobs != "none":
        # HeadBucket (the store's start-up check) is authorised by ListBucket.
        statements.append(
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn])
        )
    if spec.blobs == "read":
        statements.append(
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"{ARTIFACT_PREFIX}*")]
            )
        )
    elif spec.blobs == "read-write":
        # Writes stream through `.staging/` and are copied onto `artifacts/` (blobs/s3.py).
        statements.append(
            iam.PolicyStatement(
                actions=[
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts",
                ],
                resources=[bucket.arn_for_objects("*")],
            )
        )

    bus = platform.bus
    if spec.publishes:
        statements.append(
            iam.PolicyStatement(
                # REGISTRY_BUS_PROVISION=false: the bus derives topic ARNs, creates nothing.
                actions=["sns:Publish"],
                resources=[bus.topics[event_type].topic_arn for event_type in spec.publishes],
            )
        )
    if spec.consumes:
        queue, dlq = bus.queues[spec.name], bus.dead_letter_queues[spec.name]
        # The stack owns the topology (REGISTRY_BUS_PROVISION=false): the bus looks its
        # queues up, then receives, acknowledges and retries; nothing to create or subscribe.
        statements += [
            iam.PolicyStatement(
                actions=[
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                ],
                resources=[queue.queue_arn],
            ),
            iam.PolicyStatement(
                # Unparseable messages are copied to the dead-letter queue at once.
                actions=["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                resources=[dlq.queue_arn],
            ),
        ]
    if spec.publishes or spec.consumes:
        statements.append(
            iam.PolicyStatement(
                # The bus's health check; ListTopics supports no resource-level permission.
                actions=["sns:ListTopics"],
                resources=["*"],
            )
        )

    if spec.name == "health":
        # The feed reports every consumer's queue and dead-letter depth; an admin lists
        # dead letters (receive, then release) and redrives them (send to the consumer's
        # queue, delete from its DLQ). Nothing else: no consuming of other queues.
        queues = [bus.queues[name].queue_arn for name in sorted(bus.queues)]
        dlqs = [bus.dead_letter_queues[name].queue_arn for name in sorted(bus.queues)]
        statements += [
            iam.PolicyStatement(
                actions=["sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                resources=queues + dlqs,
            ),
            iam.PolicyStatement(
                actions=["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage"],
                resources=dlqs,
            ),
            iam.PolicyStatement(actions=["sqs:SendMessage"], resources=queues),
        ]
        # registry_health.cloudwatch publishes the feed's figures (PutMetricData has no
        # resource-level permissions; the condition pins the namespace).
        statements.append(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE}},
            )
        )

    # The ADOT sidecar shares the task role: X-Ray segments and EMF metric log events.
    statements += [
        iam.PolicyStatement(
            actions=[
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            resources=["*"],  # X-Ray has no resource-level permissions for these
        ),
        iam.PolicyStatement(
            actions=["logs:PutLogEvents", "logs:CreateLogStream", "logs:DescribeLogStreams"],
            # The group's ARN ends in ":*", which covers its log streams.
            resources=[metrics_log_group.log_group_arn],
        ),
    ]
    return statements
