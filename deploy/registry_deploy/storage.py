"""State: the artifact bucket (S3), the metadata database (RDS PostgreSQL) and the secrets."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from registry_deploy.config import DeploymentConfig
from registry_deploy.topology import STAGING_PREFIX

DATABASE_NAME = "registry"
DATABASE_USER = "registry"
DATABASE_PORT = 5432


_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS,
}


def retention(days: int) -> logs.RetentionDays:
    """CloudWatch accepts only certain retention periods; refuse any other."""
    try:
        return _RETENTION[days]
    except KeyError:
        raise ValueError(f"log_retention_days: one of {sorted(_RETENTION)}, not {days}") from None


class ArtifactBucket(Construct):
    """Bundles and their parts. Private, encrypted, versioned, TLS only."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeploymentConfig) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            # A deleted or replaced bundle can be restored for `noncurrent_version_days`.
            versioned=True,
            lifecycle_rules=[
                # The blob store's own rules (registry_common.blobs.s3 installs the same ones
                # on a bucket it creates): crash leftovers of multipart writes go after a day.
                s3.LifecycleRule(
                    id="abort-incomplete-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="expire-staging",
                    prefix=STAGING_PREFIX,
                    expiration=Duration.days(1),
                    noncurrent_version_expiration=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="expire-old-versions",
                    noncurrent_version_expiration=Duration.days(config.noncurrent_version_days),
                    expired_object_delete_marker=True,
                ),
            ],
            removal_policy=RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY,
        )


class Database(Construct):
    """One PostgreSQL server shared by the services; each owns its tables (and its Alembic
    version table), as in the distributed test topology."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        vpc: ec2.IVpc,
    ) -> None:
        super().__init__(scope, construct_id)
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="PostgreSQL: reachable only from the services that own tables",
            allow_all_outbound=False,
        )
        parameters = rds.ParameterGroup(
            self,
            "Parameters",
            engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_18),
            description="TLS only; slow statements logged",
            parameters={"rds.force_ssl": "1", "log_min_duration_statement": "1000"},
        )
        identifier = f"{config.prefix}-postgres"
        self.instance = rds.DatabaseInstance(
            self,
            "Instance",
            instance_identifier=identifier,
            # Major version only: RDS applies minor upgrades itself without template drift.
            engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_18),
            instance_type=ec2.InstanceType(config.db_instance_class),
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            security_groups=[self.security_group],
            publicly_accessible=False,
            credentials=rds.Credentials.from_generated_secret(
                DATABASE_USER, secret_name=f"{config.prefix}/database"
            ),
            database_name=DATABASE_NAME,
            port=DATABASE_PORT,
            parameter_group=parameters,
            storage_type=rds.StorageType.GP3,
            allocated_storage=config.db_allocated_storage_gib,
            max_allocated_storage=config.db_max_allocated_storage_gib,
            storage_encrypted=True,
            multi_az=config.db_multi_az,
            backup_retention=Duration.days(config.db_backup_retention_days),
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=False,
            ca_certificate=rds.CaCertificate.RDS_CA_RSA2048_G1,
            cloudwatch_logs_exports=["postgresql"],
            deletion_protection=config.retain_data,
            removal_policy=(
                RemovalPolicy.SNAPSHOT if config.retain_data else RemovalPolicy.DESTROY
            ),
        )
        # RDS creates this group on first export, without retention; owning it sets one.
        logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/rds/instance/{identifier}/postgresql",
            retention=retention(config.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        secret = self.instance.secret
        if secret is None:  # from_generated_secret always makes one; a guard for the types
            raise RuntimeError("the database has no generated secret")
        self.secret: secretsmanager.ISecret = secret


class Secrets(Construct):
    """Generated secrets the services share. Never in the template, never in plain env."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeploymentConfig) -> None:
        super().__init__(scope, construct_id)
        self.token_signing_key = secretsmanager.Secret(
            self,
            "TokenSigningKey",
            secret_name=f"{config.prefix}/token-signing-key",
            description="HMAC key that signs the registry's access tokens (AUTH_TOKEN_SECRET)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
        )
        self.internal_token = secretsmanager.Secret(
            self,
            "InternalToken",
            secret_name=f"{config.prefix}/internal-token",
            description=(
                "Shared secret on calls between the services and to the health service's "
                "telemetry receiver (REGISTRY_INTERNAL_TOKEN)"
            ),
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=48, exclude_punctuation=True
            ),
        )
        # Optional: the default admin's initial password (AUTH_INITIAL_ADMIN_PASSWORD). Unset,
        # the contract's well-known password applies until an operator changes it.
        self.initial_admin_password: secretsmanager.ISecret | None = None
        if config.initial_admin_password_secret_name:
            self.initial_admin_password = secretsmanager.Secret.from_secret_name_v2(
                self, "InitialAdminPassword", config.initial_admin_password_secret_name
            )
        self.github_token: secretsmanager.ISecret | None = None
        if config.github_token_secret_name:
            self.github_token = secretsmanager.Secret.from_secret_name_v2(
                self, "GitHubToken", config.github_token_secret_name
            )
