"""The registry's stack: network, state, event bus, services, monitoring."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, CfnParameter, Stack
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from registry_deploy.config import DeploymentConfig
from registry_deploy.messaging import EventBus
from registry_deploy.monitoring import Monitoring
from registry_deploy.services import Platform, RegistryServices
from registry_deploy.storage import ArtifactBucket, Database, Secrets

IMAGE_TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"


class RegistryStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeploymentConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # The version to run is a deploy-time input, not part of the template: CD passes the
        # commit it built (`--parameters ImageTag=<sha>`), and a rollback passes the previous.
        image_tag = CfnParameter(
            self,
            "ImageTag",
            type="String",
            description="Tag of the six service images in ECR (CD uses the git commit SHA).",
            allowed_pattern=IMAGE_TAG_PATTERN,
            constraint_description="a Docker image tag",
        ).value_as_string

        vpc = self._network(config)
        bucket = ArtifactBucket(self, "Artifacts", config=config)
        database = Database(self, "Database", config=config, vpc=vpc)
        secrets = Secrets(self, "Secrets", config=config)
        bus = EventBus(self, "Events", config=config)
        services = RegistryServices(
            self,
            "Services",
            platform=Platform(
                config=config,
                vpc=vpc,
                bucket=bucket,
                database=database,
                secrets=secrets,
                bus=bus,
                image_tag=image_tag,
            ),
        )
        monitoring = Monitoring(
            self, "Monitoring", config=config, services=services, bus=bus, database=database
        )
        self.vpc, self.bucket, self.database, self.secrets = vpc, bucket, database, secrets
        self.bus, self.services, self.monitoring = bus, services, monitoring

        CfnOutput(self, "GatewayUrl", value=services.public_url, description="The registry")
        CfnOutput(self, "DeployedImageTag", value=image_tag, description="Running version")
        CfnOutput(self, "ArtifactBucketName", value=bucket.bucket.bucket_name)
        CfnOutput(self, "ClusterName", value=services.cluster.cluster_name)
        CfnOutput(self, "AlarmTopicArn", value=monitoring.topic.topic_arn)
        CfnOutput(
            self,
            "DashboardUrl",
            value=(
                f"https://console.aws.amazon.com/cloudwatch/home?region={self.region}"
                f"#dashboards:name={monitoring.dashboard.dashboard_name}"
            ),
        )

    def _network(self, config: DeploymentConfig) -> ec2.Vpc:
        subnets = [
            ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
            ec2.SubnetConfiguration(
                name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
            ),
        ]
        if config.egress_via_nat:
            subnets.insert(
                1,
                ec2.SubnetConfiguration(
                    name="services", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=22
                ),
            )
        vpc = ec2.Vpc(
            self,
            "Network",
            ip_addresses=ec2.IpAddresses.cidr("10.40.0.0/16"),
            max_azs=config.max_azs,
            nat_gateways=config.nat_gateways,
            subnet_configuration=subnets,
            # The default security group allows all traffic between its members; nothing
            # uses it, so it is emptied.
            restrict_default_security_group=True,
        )
        # S3 traffic stays inside AWS (free, and does not pass the NAT gateway's per-GB fee).
        vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3)
        return vpc
