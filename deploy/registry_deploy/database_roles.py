"""Per-service database credentials: one PostgreSQL role per service, one secret per role.

Each service with tables gets a secret `<prefix>/database/<service>` (user `registry_<service>`,
a generated password); its task is given that secret only, never the master user's. A one-off
ECS task (`python -m registry_common.db_roles`, from the auth image) logs in as the master
user on every deployment and makes each role the owner of its own schema with no rights
elsewhere; a custom resource runs it and waits for it, and the services start after it. So a
compromised service reaches its own tables only (see docs/deploy.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import custom_resources as cr
from constructs import Construct

from registry_deploy.config import DeploymentConfig
from registry_deploy.db_roles_runner import CONTAINER
from registry_deploy.storage import DATABASE_NAME, DATABASE_PORT, Database, retention
from registry_deploy.topology import SERVICES

RUNNER_SOURCE = Path(__file__).with_name("db_roles_runner.py")
DATABASE_SERVICES = tuple(spec.name for spec in SERVICES if spec.database)
IMAGE_OF_TASK = "auth"  # any service image holds registry_common; auth's is the smallest


def role_name(service: str) -> str:
    return f"registry_{service}"  # registry_common.db_roles.role_name


class DatabaseRoles(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        vpc: ec2.IVpc,
        database: Database,
        cluster: ecs.ICluster,
        subnets: ec2.SubnetSelection,
        image_tag: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.secrets: dict[str, secretsmanager.ISecret] = {
            service: secretsmanager.Secret(
                self,
                f"{service.capitalize()}Credentials",
                secret_name=f"{config.prefix}/database/{service}",
                description=f"PostgreSQL login of the {service} service (its own schema only)",
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    secret_string_template=json.dumps({"username": role_name(service)}),
                    generate_string_key="password",
                    password_length=40,
                    exclude_punctuation=True,
                ),
            )
            for service in DATABASE_SERVICES
        }
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="registry database-roles task: PostgreSQL, and AWS APIs over HTTPS",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS: ECR, Secrets Manager, logs"
        )
        self.security_group.connections.allow_to(
            database.security_group, ec2.Port.tcp(DATABASE_PORT), "database roles to PostgreSQL"
        )
        self.task_definition = self._task(config, database, image_tag)
        self.resource = self._run_on_deploy(config, cluster, subnets, image_tag)

    def _task(
        self, config: DeploymentConfig, database: Database, image_tag: str
    ) -> ecs.FargateTaskDefinition:
        task = ecs.FargateTaskDefinition(
            self,
            "Task",
            family=f"{config.prefix}-db-roles",
            cpu=256,
            memory_limit_mib=512,
            runtime_platform=ecs.RuntimePlatform(
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
                cpu_architecture=ecs.CpuArchitecture.X86_64,
            ),
        )
        log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/{config.prefix}/db-roles",
            retention=retention(config.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        repository = ecr.Repository.from_repository_name(
            self, "Repository", f"{config.prefix}/{IMAGE_OF_TASK}"
        )
        master = database.secret
        secrets = {
            "REGISTRY_DATABASE_USER": ecs.Secret.from_secrets_manager(master, "username"),
            "REGISTRY_DATABASE_PASSWORD": ecs.Secret.from_secrets_manager(master, "password"),
        }
        for service, secret in self.secrets.items():
            secrets[f"REGISTRY_DB_PASSWORD_{service.upper()}"] = ecs.Secret.from_secrets_manager(
                secret, "password"
            )
        task.add_container(
            "app",
            container_name=CONTAINER,
            image=ecs.ContainerImage.from_ecr_repository(repository, tag=image_tag),
            essential=True,
            command=["registry_common.db_roles"],
            environment={
                # deploy/docker/entrypoint.py joins these and the master's user and password.
                "REGISTRY_DATABASE_HOST": database.instance.db_instance_endpoint_address,
                "REGISTRY_DATABASE_PORT": str(DATABASE_PORT),
                "REGISTRY_DATABASE_NAME": DATABASE_NAME,
                "REGISTRY_DB_ROLE_SERVICES": ",".join(DATABASE_SERVICES),
            },
            secrets=secrets,
            readonly_root_filesystem=True,
            logging=ecs.LogDriver.aws_logs(stream_prefix="db-roles", log_group=log_group),
        )
        return task

    def _run_on_deploy(
        self,
        config: DeploymentConfig,
        cluster: ecs.ICluster,
        subnets: ec2.SubnetSelection,
        image_tag: str,
    ) -> CustomResource:
        source = RUNNER_SOURCE.read_text(encoding="utf-8")
        functions = {
            name: lambda_.Function(
                self,
                f"{name.title().replace('_', '')}Function",
                runtime=lambda_.Runtime.PYTHON_3_12,
                handler=f"index.{name}",
                code=lambda_.Code.from_inline(source),
                timeout=Duration.seconds(30),
                description=f"registry database roles: {name.replace('_', ' ')}",
                log_group=logs.LogGroup(
                    self,
                    f"{name.title().replace('_', '')}Logs",
                    log_group_name=f"/{config.prefix}/db-roles-{name.replace('_', '-')}",
                    retention=retention(config.log_retention_days),
                    removal_policy=RemovalPolicy.DESTROY,
                ),
            )
            for name in ("on_event", "is_complete")
        }
        task = self.task_definition
        stack = Stack.of(self)
        functions["on_event"].add_to_role_policy(
            iam.PolicyStatement(
                actions=["ecs:RunTask"],
                resources=[
                    stack.format_arn(
                        service="ecs",
                        resource="task-definition",
                        resource_name=f"{config.prefix}-db-roles:*",
                    )
                ],
                conditions={"ArnEquals": {"ecs:cluster": cluster.cluster_arn}},
            )
        )
        roles = [task.task_role.role_arn]
        if task.execution_role is not None:
            roles.append(task.execution_role.role_arn)
        functions["on_event"].add_to_role_policy(
            iam.PolicyStatement(actions=["iam:PassRole"], resources=roles)
        )
        functions["is_complete"].add_to_role_policy(
            iam.PolicyStatement(
                actions=["ecs:DescribeTasks"],
                resources=[
                    stack.format_arn(
                        service="ecs", resource="task", resource_name=f"{config.prefix}/*"
                    )
                ],
            )
        )
        provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=functions["on_event"],
            is_complete_handler=functions["is_complete"],
            query_interval=Duration.seconds(15),
            total_timeout=Duration.minutes(20),
            log_group=logs.LogGroup(
                self,
                "ProviderLogs",
                log_group_name=f"/{config.prefix}/db-roles-provider",
                retention=retention(config.log_retention_days),
                removal_policy=RemovalPolicy.DESTROY,
            ),
        )
        chosen = cluster.vpc.select_subnets(subnet_type=subnets.subnet_type)
        return CustomResource(
            self,
            "Run",
            service_token=provider.service_token,
            resource_type="Custom::RegistryDatabaseRoles",
            properties={
                "Cluster": cluster.cluster_arn,
                "TaskDefinition": task.task_definition_arn,
                "Subnets": chosen.subnet_ids,
                "SecurityGroups": [self.security_group.security_group_id],
                "AssignPublicIp": "DISABLED" if config.egress_via_nat else "ENABLED",
                # A new image (every deployment) runs it again: new roles, rotated passwords.
                "Trigger": f"{image_tag}:{','.join(DATABASE_SERVICES)}",
            },
        )
