"""The registry stack's security-relevant properties, read from the synthesized template."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template
from registry_deploy.topology import BY_NAME, SERVICES, callers_of, consumers_of

from deploy.tests import cfn

DATABASE_SERVICES = [s.name for s in SERVICES if s.database]
CONSUMERS = [s.name for s in SERVICES if s.consumes]


@pytest.fixture(scope="module")
def template(registry: dict[str, Any]) -> Template:
    return Template.from_json(registry)


# ----------------------------------------------------------------------------- storage


def test_artifact_bucket_is_private_encrypted_versioned_and_expires_leftovers(
    template: Template,
) -> None:
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "LifecycleConfiguration": {
                "Rules": Match.array_with(
                    [
                        Match.object_like(
                            {"AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}
                        ),
                        Match.object_like(
                            {"Prefix": ".staging/", "ExpirationInDays": 1, "Status": "Enabled"}
                        ),
                        Match.object_like(
                            {
                                "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                                "ExpiredObjectDeleteMarker": True,
                            }
                        ),
                    ]
                )
            },
        },
    )
    template.has_resource("AWS::S3::Bucket", {"DeletionPolicy": "Retain"})


def test_artifact_bucket_refuses_plain_http(registry: dict[str, Any]) -> None:
    (_, policy) = cfn.one(registry, "AWS::S3::BucketPolicy")
    denials = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denials)
    assert any(s["Condition"] == {"NumericLessThan": {"s3:TlsVersion": 1.2}} for s in denials)


def test_database_is_private_encrypted_and_its_password_is_generated(
    registry: dict[str, Any],
) -> None:
    (_, db) = cfn.one(registry, "AWS::RDS::DBInstance")
    assert db["Engine"] == "postgres"
    assert db["EngineVersion"] == "18"
    assert db["StorageEncrypted"] is True
    assert db["PubliclyAccessible"] is False
    assert db["DeletionProtection"] is True
    assert db["BackupRetentionPeriod"] == 7
    # The password is resolved from Secrets Manager by CloudFormation, never in the template.
    assert "resolve:secretsmanager" in json.dumps(db["MasterUserPassword"])
    (_, subnets) = cfn.one(registry, "AWS::RDS::DBSubnetGroup")
    isolated = {
        logical_id
        for logical_id, subnet in cfn.resources(registry, "AWS::EC2::Subnet").items()
        if "data" in json.dumps(subnet["Properties"].get("Tags", []))
    }
    assert {cfn.ref_id(s) for s in subnets["SubnetIds"]} == isolated
    (_, parameters) = cfn.one(registry, "AWS::RDS::DBParameterGroup")
    assert parameters["Parameters"]["rds.force_ssl"] == "1"


# ----------------------------------------------------------------------------- event bus


def test_every_consumer_queue_has_a_dead_letter_queue_with_the_bus_redrive(
    registry: dict[str, Any],
) -> None:
    for consumer in CONSUMERS:
        queue = cfn.props(registry, cfn.queue_id(registry, f"registry-{consumer}"))
        dlq_id = cfn.queue_id(registry, f"registry-{consumer}-dlq")
        dlq = cfn.props(registry, dlq_id)
        assert queue["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
            "maxReceiveCount": 5,
        }
        assert queue["VisibilityTimeout"] == 60
        assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
        assert queue["SqsManagedSseEnabled"] is True
        assert dlq["SqsManagedSseEnabled"] is True
    # Nothing but the consumers has a queue: the gateway is not on the bus.
    assert len(cfn.resources(registry, "AWS::SQS::Queue")) == 2 * len(CONSUMERS)


def test_subscriptions_fan_each_topic_out_to_exactly_its_consumers(
    registry: dict[str, Any],
) -> None:
    queue_ids = {cfn.queue_id(registry, f"registry-{c}"): c for c in CONSUMERS}
    topic_ids = {cfn.topic_id(registry, f"registry-{t}"): t for s in SERVICES for t in s.consumes}
    actual: set[tuple[str, str]] = set()
    for subscription in cfn.resources(registry, "AWS::SNS::Subscription").values():
        p = subscription["Properties"]
        assert p["Protocol"] == "sqs"
        assert p["RawMessageDelivery"] is True
        actual.add((topic_ids[cfn.ref_id(p["TopicArn"])], queue_ids[cfn.ref_id(p["Endpoint"])]))
    expected = {(t, s.name) for s in SERVICES for t in s.consumes}
    assert actual == expected


def test_a_queue_accepts_messages_only_from_its_own_topics(registry: dict[str, Any]) -> None:
    for consumer in CONSUMERS:
        queue_id = cfn.queue_id(registry, f"registry-{consumer}")
        policies = [
            p["Properties"]["PolicyDocument"]["Statement"]
            for p in cfn.resources(registry, "AWS::SQS::QueuePolicy").values()
            if any(cfn.ref_id(q) == queue_id for q in p["Properties"]["Queues"])
        ]
        statements = [s for doc in policies for s in doc]
        sources = {
            cfn.ref_id(s["Condition"]["ArnEquals"]["aws:SourceArn"])
            for s in statements
            if s["Effect"] == "Allow"
        }
        allowed_topics = {
            cfn.topic_id(registry, f"registry-{t}") for t in BY_NAME[consumer].consumes
        }
        assert sources == allowed_topics
        allows = [s for s in statements if s["Effect"] == "Allow"]
        assert all(s["Principal"] == {"Service": "sns.amazonaws.com"} for s in allows)
        # The stack owns the policy (the bus no longer rewrites it), so TLS-only holds.
        denies = [s for s in statements if s["Effect"] == "Deny"]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies), (
            f"{consumer}'s queue accepts plain HTTP"
        )


def test_event_topics_are_encrypted_and_tls_only(registry: dict[str, Any]) -> None:
    topics = {
        logical_id: t["Properties"]
        for logical_id, t in cfn.resources(registry, "AWS::SNS::Topic").items()
        if t["Properties"]["TopicName"] != "registry-alarms"
    }
    assert len(topics) == 6
    assert all(
        json.dumps(t["KmsMasterKeyId"]).endswith(':alias/aws/sns"]]}') for t in topics.values()
    )
    for logical_id in topics:
        (_, policy) = cfn.one(registry, "AWS::SNS::TopicPolicy", Topics=[{"Ref": logical_id}])
        assert {
            "Action": "sns:Publish",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": "*",
            "Resource": {"Ref": logical_id},
            "Sid": "AllowPublishThroughSSLOnly",
        } in policy["PolicyDocument"]["Statement"]


# ----------------------------------------------------------------------------- IAM


def s3_actions(registry: dict[str, Any], service: str) -> set[str]:
    return {
        a for a in cfn.grants(registry, cfn.task_role(registry, service)) if a.startswith("s3:")
    }


def test_only_ingest_can_write_artifacts(registry: dict[str, Any]) -> None:
    assert s3_actions(registry, "ingest") == {
        "s3:ListBucket",
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
    }
    for reader in ("gateway", "scoring"):
        assert s3_actions(registry, reader) == {"s3:ListBucket", "s3:GetObject"}
        grants = cfn.grants(registry, cfn.task_role(registry, reader))
        # Reads are limited to the artifacts' keys.
        assert all("/artifacts/*" in json.dumps(r) for r in grants["s3:GetObject"])
    for other in ("auth", "lineage", "health"):
        assert s3_actions(registry, other) == set()


def test_no_task_role_has_wildcard_actions(registry: dict[str, Any]) -> None:
    for spec in SERVICES:
        for action in cfn.grants(registry, cfn.task_role(registry, spec.name)):
            assert "*" not in action, f"{spec.name} may {action}"


def test_publish_rights_follow_the_topology(registry: dict[str, Any]) -> None:
    for spec in SERVICES:
        grants = cfn.grants(registry, cfn.task_role(registry, spec.name))
        published = {cfn.ref_id(r) for r in grants.get("sns:Publish", [])}
        assert published == {cfn.topic_id(registry, f"registry-{t}") for t in spec.publishes}


def test_each_service_reads_only_its_own_queue(registry: dict[str, Any]) -> None:
    every_queue = {cfn.queue_id(registry, f"registry-{c}") for c in CONSUMERS}
    every_dlq = {cfn.queue_id(registry, f"registry-{c}-dlq") for c in CONSUMERS}
    for spec in SERVICES:
        grants = cfn.grants(registry, cfn.task_role(registry, spec.name))
        received = {cfn.ref_id(r) for r in grants.get("sqs:ReceiveMessage", [])}
        deleted = {cfn.ref_id(r) for r in grants.get("sqs:DeleteMessage", [])}
        own = {cfn.queue_id(registry, f"registry-{spec.name}")} if spec.consumes else set()
        sent = {cfn.ref_id(r) for r in grants.get("sqs:SendMessage", [])}
        own_dlq = {cfn.queue_id(registry, f"registry-{spec.name}-dlq")} if spec.consumes else set()
        if spec.name == "health":
            # Besides its own queue: every DLQ, to list and redrive dead letters (receive,
            # release, delete), and every queue, to send the redriven ones back.
            assert received == own | every_dlq
            assert deleted == own | every_dlq
            assert sent == own_dlq | every_queue
        else:
            assert received == own
            assert deleted == own
            assert sent == own_dlq
        # REGISTRY_BUS_PROVISION=false: the topology is the stack's; no role may change it.
        for action in (
            "sns:CreateTopic",
            "sns:Subscribe",
            "sns:Unsubscribe",
            "sns:SetSubscriptionAttributes",
            "sqs:CreateQueue",
            "sqs:SetQueueAttributes",
        ):
            assert action not in grants, f"{spec.name} may {action}"


def test_unscoped_grants_are_only_the_ones_aws_cannot_scope(registry: dict[str, Any]) -> None:
    can_not_scope = {
        "sns:ListTopics",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
        "cloudwatch:PutMetricData",
    }
    for spec in SERVICES:
        for action, resources in cfn.grants(registry, cfn.task_role(registry, spec.name)).items():
            if "*" in resources:
                assert action in can_not_scope, f"{spec.name}: {action} on *"
    # Only the health service publishes metrics, and only to the registry's namespace.
    publishers = [
        (spec.name, statement)
        for spec in SERVICES
        for statement in cfn.statements_of_role(registry, cfn.task_role(registry, spec.name))
        if "cloudwatch:PutMetricData" in cfn.as_list(statement["Action"])
    ]
    assert [name for name, _ in publishers] == ["health"]
    assert publishers[0][1]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Registry"}}


def secret_reads(registry: dict[str, Any], service: str) -> set[str]:
    grants = cfn.grants(registry, cfn.execution_role(registry, service))
    return {cfn.ref_id(r) or json.dumps(r) for r in grants.get("secretsmanager:GetSecretValue", [])}


def test_secrets_are_injected_only_where_needed(registry: dict[str, Any]) -> None:
    (signing_key, _) = cfn.one(
        registry, "AWS::SecretsManager::Secret", Name="registry/token-signing-key"
    )
    (internal, _) = cfn.one(registry, "AWS::SecretsManager::Secret", Name="registry/internal-token")
    (master, _) = cfn.one(registry, "AWS::SecretsManager::SecretTargetAttachment")
    own = {
        name: cfn.one(registry, "AWS::SecretsManager::Secret", Name=f"registry/database/{name}")[0]
        for name in DATABASE_SERVICES
    }
    for spec in SERVICES:
        reads = secret_reads(registry, spec.name)
        assert internal in reads
        assert (signing_key in reads) == (spec.name == "auth")
        # Each service reads its own database login and no other; none the master user's.
        assert master not in reads, spec.name
        assert {name for name, secret in own.items() if secret in reads} == (
            {spec.name} if spec.database else set()
        ), spec.name
        names = {s["Name"] for s in cfn.container(registry, spec.name).get("Secrets", [])}
        assert ("AUTH_TOKEN_SECRET" in names) == (spec.name == "auth")
        assert ("REGISTRY_DATABASE_PASSWORD" in names) == spec.database


def test_each_database_login_is_its_own_role(registry: dict[str, Any]) -> None:
    for name in DATABASE_SERVICES:
        (_, secret) = cfn.one(
            registry, "AWS::SecretsManager::Secret", Name=f"registry/database/{name}"
        )
        generated = secret["GenerateSecretString"]
        assert json.loads(generated["SecretStringTemplate"]) == {"username": f"registry_{name}"}
        assert generated["GenerateStringKey"] == "password"
        assert generated["PasswordLength"] >= 32


def test_the_database_roles_task_runs_before_the_services_start(
    registry: dict[str, Any],
) -> None:
    task = cfn.task_definition(registry, "db-roles")
    (app,) = task["ContainerDefinitions"]
    assert app["Command"] == ["registry_common.db_roles"]
    env = {e["Name"]: e["Value"] for e in app["Environment"]}
    assert env["REGISTRY_DB_ROLE_SERVICES"] == ",".join(DATABASE_SERVICES)
    secrets = {s["Name"] for s in app["Secrets"]}
    assert secrets == {
        "REGISTRY_DATABASE_USER",
        "REGISTRY_DATABASE_PASSWORD",
        *(f"REGISTRY_DB_PASSWORD_{name.upper()}" for name in DATABASE_SERVICES),
    }
    (run_id, run) = cfn.one(registry, "Custom::RegistryDatabaseRoles")
    assert run["AssignPublicIp"] == "DISABLED"
    assert "ImageTag" in json.dumps(run["Trigger"])  # runs again on every deployment
    for spec in SERVICES:
        (service_id, _) = cfn.one(
            registry, "AWS::ECS::Service", ServiceName=f"registry-{spec.name}"
        )
        depends = registry["Resources"][service_id].get("DependsOn", [])
        assert (run_id in depends) == spec.database, spec.name
    # The runner may start that one task definition in this cluster, and pass its roles.
    runner_policies = [
        statement
        for policy in cfn.resources(registry, "AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "ecs:RunTask" in cfn.as_list(statement["Action"])
    ]
    assert len(runner_policies) == 1
    assert "registry-db-roles:*" in json.dumps(runner_policies[0]["Resource"])
    assert "ecs:cluster" in json.dumps(runner_policies[0]["Condition"])


def test_the_gateway_trusts_forwarded_addresses_from_inside_the_vpc_only(
    registry: dict[str, Any],
) -> None:
    env = {e["Name"]: e["Value"] for e in cfn.container(registry, "gateway")["Environment"]}
    (vpc_id, _) = cfn.one(registry, "AWS::EC2::VPC")
    assert env["GATEWAY_TRUSTED_PROXIES"] == {"Fn::GetAtt": [vpc_id, "CidrBlock"]}
    for spec in SERVICES:
        if spec.name != "gateway":
            names = {e["Name"] for e in cfn.container(registry, spec.name)["Environment"]}
            assert "GATEWAY_TRUSTED_PROXIES" not in names


def test_no_secret_travels_as_plain_environment(registry: dict[str, Any]) -> None:
    forbidden = {
        "AUTH_TOKEN_SECRET",
        "REGISTRY_INTERNAL_TOKEN",
        "REGISTRY_DATABASE_PASSWORD",
        "REGISTRY_DATABASE_URL",
        "GITHUB_TOKEN",
    }
    for task in cfn.resources(registry, "AWS::ECS::TaskDefinition").values():
        for container in task["Properties"]["ContainerDefinitions"]:
            plain = {e["Name"] for e in container.get("Environment", [])}
            assert not plain & forbidden, container["Name"]
    assert not cfn.resources(registry, "AWS::IAM::User")
    assert not cfn.resources(registry, "AWS::IAM::AccessKey")


# ----------------------------------------------------------------------------- network


def test_only_the_gateway_is_behind_the_load_balancer(registry: dict[str, Any]) -> None:
    (balancer, lb) = cfn.one(registry, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert lb["Scheme"] == "internet-facing"
    (target_group, tg) = cfn.one(registry, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert tg["HealthCheckPath"] == "/health"
    assert tg["TargetType"] == "ip"
    (_, listener) = cfn.one(registry, "AWS::ElasticLoadBalancingV2::Listener")
    assert listener["DefaultActions"] == [
        {"Type": "forward", "TargetGroupArn": {"Ref": target_group}}
    ]
    for spec in SERVICES:
        attached = cfn.ecs_service(registry, spec.name).get("LoadBalancers", [])
        if spec.public:
            assert [cfn.ref_id(a["TargetGroupArn"]) for a in attached] == [target_group]
            assert attached[0]["ContainerName"] == "gateway"
        else:
            assert attached == []
    assert len(cfn.resources(registry, "AWS::ElasticLoadBalancingV2::LoadBalancer")) == 1
    del balancer


def ingress_sources(registry: dict[str, Any], group_id: str) -> set[tuple[str, int]]:
    """(source security group or CIDR, port) of every ingress rule of a group."""
    rules: set[tuple[str, int]] = set()
    for rule in cfn.resources(registry, "AWS::EC2::SecurityGroupIngress").values():
        p = rule["Properties"]
        if cfn.ref_id(p["GroupId"]) == group_id:
            source = cfn.ref_id(p.get("SourceSecurityGroupId")) or p.get("CidrIp", "?")
            rules.add((source, p["FromPort"]))
    group = cfn.props(registry, group_id)
    for p in group.get("SecurityGroupIngress", []):
        rules.add((cfn.ref_id(p.get("SourceSecurityGroupId")) or p.get("CidrIp"), p["FromPort"]))
    return rules


def group_of(registry: dict[str, Any], service: str) -> str:
    groups = cfn.ecs_service(registry, service)["NetworkConfiguration"]["AwsvpcConfiguration"][
        "SecurityGroups"
    ]
    assert len(groups) == 1
    group = cfn.ref_id(groups[0])
    assert group is not None
    return group


def test_services_accept_connections_only_from_their_callers(registry: dict[str, Any]) -> None:
    (balancer, lb) = cfn.one(registry, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    alb_group = cfn.ref_id(lb["SecurityGroups"][0])
    for spec in SERVICES:
        expected = {(group_of(registry, caller), 8000) for caller in callers_of(spec.name)}
        if spec.public:
            expected.add((alb_group, 8000))
        assert ingress_sources(registry, group_of(registry, spec.name)) == expected, spec.name
    # The internet reaches the load balancer only.
    assert ingress_sources(registry, alb_group) == {("0.0.0.0/0", 80)}
    del balancer


def test_only_services_with_tables_reach_postgresql(registry: dict[str, Any]) -> None:
    (_, db) = cfn.one(registry, "AWS::RDS::DBInstance")
    db_group = cfn.ref_id(db["VPCSecurityGroups"][0])
    assert db_group is not None
    expected = {(group_of(registry, name), 5432) for name in DATABASE_SERVICES}
    (roles_group, _) = cfn.one(
        registry,
        "AWS::EC2::SecurityGroup",
        GroupDescription="registry database-roles task: PostgreSQL, and AWS APIs over HTTPS",
    )
    expected.add((roles_group, 5432))  # the one-off task that sets up their roles
    assert ingress_sources(registry, db_group) == expected


def test_services_run_in_private_subnets_behind_one_nat_gateway(registry: dict[str, Any]) -> None:
    assert len(cfn.resources(registry, "AWS::EC2::NatGateway")) == 1
    for spec in SERVICES:
        network = cfn.ecs_service(registry, spec.name)["NetworkConfiguration"]
        assert network["AwsvpcConfiguration"]["AssignPublicIp"] == "DISABLED"


# ----------------------------------------------------------------------------- tasks


def test_every_task_is_hardened_and_rolls_back_a_failed_deployment(
    registry: dict[str, Any],
) -> None:
    for spec in SERVICES:
        service = cfn.ecs_service(registry, spec.name)
        assert service["DeploymentConfiguration"]["DeploymentCircuitBreaker"] == {
            "Enable": True,
            "Rollback": True,
        }
        assert service["ServiceRegistries"], "reachable by name through Cloud Map"
        app = cfn.container(registry, spec.name)
        assert app["ReadonlyRootFilesystem"] is True
        assert app["Essential"] is True
        assert app["HealthCheck"]["Command"] == ["CMD", "python", "/app/healthcheck.py"]
        assert app["LinuxParameters"]["InitProcessEnabled"] is True
        assert app["LogConfiguration"]["LogDriver"] == "awslogs"
        collector = cfn.container(registry, spec.name, "adot-collector")
        assert collector["Essential"] is False
        assert collector["Image"].startswith("public.ecr.aws/aws-observability/aws-otel-collector:")
        env = {e["Name"]: e["Value"] for e in app["Environment"]}
        assert env["REGISTRY_TELEMETRY_EXPORTER"] == "otlp"
        assert env["REGISTRY_OTLP_ENDPOINT"] == "http://localhost:4318"
        assert env["REGISTRY_BUS_BACKEND"] == "sns-sqs"
        assert env["REGISTRY_BUS_PROVISION"] == "false"  # the stack owns the topology
        assert env["REGISTRY_BLOB_BACKEND"] == "s3"


def test_service_addresses_point_at_cloud_map_names(registry: dict[str, Any]) -> None:
    gateway = {e["Name"]: e["Value"] for e in cfn.container(registry, "gateway")["Environment"]}
    for callee in BY_NAME["gateway"].calls:
        assert gateway[f"GATEWAY_{callee.upper()}_URL"] == f"http://{callee}.registry.internal:8000"
    health = {e["Name"]: e["Value"] for e in cfn.container(registry, "health")["Environment"]}
    for peer in BY_NAME["health"].calls:
        assert health[f"HEALTH_{peer.upper()}_URL"] == f"http://{peer}.registry.internal:8000"
    assert health["HEALTH_VERSION"] == {"Ref": "ImageTag"}
    # Load tests download from this deployment's own load balancer, and only from there.
    assert health["HEALTH_LOADTEST_TARGET_URL"] == health["HEALTH_PUBLIC_URL"]
    assert "LoadBalancer" in json.dumps(health["HEALTH_LOADTEST_TARGET_URL"])
    assert health["HEALTH_LOADTEST_ALLOW_REMOTE_TARGET"] == "true"


def test_log_groups_have_retention(registry: dict[str, Any]) -> None:
    groups = cfn.resources(registry, "AWS::Logs::LogGroup")
    names = {g["Properties"]["LogGroupName"] for g in groups.values()}
    assert {f"/registry/{s.name}" for s in SERVICES} | {"/registry/metrics"} <= names
    assert all(g["Properties"]["RetentionInDays"] == 30 for g in groups.values())


def test_gateway_and_workers_autoscale_and_health_does_not(registry: dict[str, Any]) -> None:
    scaled = {}
    for target_id, target in cfn.resources(
        registry, "AWS::ApplicationAutoScaling::ScalableTarget"
    ).items():
        resource = target["Properties"]["ResourceId"]["Fn::Join"][1]
        service_id = cfn.ref_id(resource[-1])
        name = cfn.props(registry, service_id or "")["ServiceName"].removeprefix("registry-")
        scaled[name] = target_id
    assert set(scaled) == {"gateway", "auth", "ingest", "scoring", "lineage"}
    policies = cfn.resources(registry, "AWS::ApplicationAutoScaling::ScalingPolicy").values()

    def kinds(service: str) -> set[str]:
        found = set()
        for policy in policies:
            p = policy["Properties"]
            if cfn.ref_id(p.get("ScalingTargetId")) != scaled[service]:
                continue
            tracking = p.get("TargetTrackingScalingPolicyConfiguration")
            if tracking:
                found.add(tracking["PredefinedMetricSpecification"]["PredefinedMetricType"])
            else:
                found.add("step")
        return found

    assert kinds("gateway") == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}
    assert kinds("scoring") == {"ECSServiceAverageCPUUtilization", "step"}
    assert kinds("lineage") == {"ECSServiceAverageCPUUtilization", "step"}


# ----------------------------------------------------------------------------- monitoring


def alarms(registry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Ours, by name (step scaling adds unnamed alarms of its own)."""
    return {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in cfn.resources(registry, "AWS::CloudWatch::Alarm").values()
        if "AlarmName" in a["Properties"]
    }


def metric_names(alarm: dict[str, Any]) -> set[str]:
    if "MetricName" in alarm:
        return {alarm["MetricName"]}
    return {m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m}


def test_alarms_watch_5xx_rate_latency_and_dead_letters(registry: dict[str, Any]) -> None:
    found = alarms(registry)
    rate = found["registry-Gateway5xxRate"]
    assert metric_names(rate) == {
        "RequestCount",
        "HTTPCode_Target_5XX_Count",
        "HTTPCode_ELB_5XX_Count",
    }
    assert rate["Threshold"] == 5
    latency = found["registry-GatewayP95Latency"]
    assert latency["MetricName"] == "TargetResponseTime"
    assert latency["ExtendedStatistic"] == "p95"
    assert latency["Threshold"] == 2
    for consumer in CONSUMERS:
        dead = found[f"registry-{consumer.capitalize()}DeadLetters"]
        assert dead["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert dead["Namespace"] == "AWS/SQS"
        # Fires on the first dead letter.
        assert dead["Threshold"] == 1
        assert dead["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert dead["EvaluationPeriods"] == 1
        assert dead["TreatMissingData"] == "notBreaching"
        queue = dead["Dimensions"][0]["Value"]
        assert queue == {
            "Fn::GetAtt": [cfn.queue_id(registry, f"registry-{consumer}-dlq"), "QueueName"]
        }
        assert "/health/dead-letters/redrive" in json.dumps(dead["AlarmDescription"])
    (alarm_topic, _) = cfn.one(registry, "AWS::SNS::Topic", TopicName="registry-alarms")
    assert all(a["AlarmActions"] == [{"Ref": alarm_topic}] for a in found.values())


def test_one_dead_letter_alarm_per_dead_letter_queue(registry: dict[str, Any]) -> None:
    dlqs = {
        logical_id
        for logical_id, queue in cfn.resources(registry, "AWS::SQS::Queue").items()
        if str(queue["Properties"].get("QueueName", "")).endswith("-dlq")
    }
    assert len(dlqs) == len(CONSUMERS)
    watched = [
        cfn.ref_id(alarm["Dimensions"][0]["Value"])
        for alarm in alarms(registry).values()
        if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and alarm["AlarmName"].endswith("DeadLetters")
    ]
    assert sorted(watched) == sorted(dlqs)  # each DLQ exactly once


def test_health_reads_every_queue_and_redrives_into_consumer_queues_only(
    registry: dict[str, Any],
) -> None:
    grants = cfn.grants(registry, cfn.task_role(registry, "health"))
    every_queue = {cfn.queue_id(registry, f"registry-{c}") for c in CONSUMERS}
    every_dlq = {cfn.queue_id(registry, f"registry-{c}-dlq") for c in CONSUMERS}
    for action in ("sqs:GetQueueAttributes", "sqs:GetQueueUrl"):
        assert {cfn.ref_id(r) for r in grants[action]} == every_queue | every_dlq
    assert {cfn.ref_id(r) for r in grants["sqs:ChangeMessageVisibility"]} == (
        every_dlq | {cfn.queue_id(registry, "registry-health")}
    )
    health = {e["Name"]: e["Value"] for e in cfn.container(registry, "health")["Environment"]}
    assert json.loads(health["HEALTH_BUS_CONSUMERS"]) == sorted(CONSUMERS)


def test_budget_notifies_the_alarm_topic(registry: dict[str, Any]) -> None:
    (_, budget) = cfn.one(registry, "AWS::Budgets::Budget")
    assert budget["Budget"]["BudgetType"] == "COST"
    assert budget["Budget"]["TimeUnit"] == "MONTHLY"
    (alarm_topic, _) = cfn.one(registry, "AWS::SNS::Topic", TopicName="registry-alarms")
    kinds = set()
    for notification in budget["NotificationsWithSubscribers"]:
        kinds.add(notification["Notification"]["NotificationType"])
        assert {"SubscriptionType": "SNS", "Address": {"Ref": alarm_topic}} in notification[
            "Subscribers"
        ]
    assert kinds == {"ACTUAL", "FORECASTED"}
    (_, policy) = cfn.one(registry, "AWS::SNS::TopicPolicy", Topics=[{"Ref": alarm_topic}])
    principals = [s.get("Principal") for s in policy["PolicyDocument"]["Statement"]]
    assert {"Service": "budgets.amazonaws.com"} in principals


def test_the_image_tag_is_a_deploy_time_parameter(registry: dict[str, Any]) -> None:
    assert "ImageTag" in registry["Parameters"]
    for spec in SERVICES:
        image = cfn.container(registry, spec.name)["Image"]
        assert cfn.mentions(image, "ImageTag")
        assert f"registry/{spec.name}" in json.dumps(image)
    assert consumers_of("ArtifactDownloaded") == ()  # its topic exists for future consumers


def test_only_the_health_service_may_reach_the_load_balancer_over_http(
    registry: dict[str, Any],
) -> None:
    """Load tests (R21) download from the deployment's own, internet-facing load balancer."""

    def open_ports(service: str) -> set[tuple[str, int]]:
        egress = cfn.props(registry, group_of(registry, service)).get("SecurityGroupEgress", [])
        return {(rule["CidrIp"], rule["FromPort"]) for rule in egress if "CidrIp" in rule}

    assert ("0.0.0.0/0", 80) in open_ports("health")
    for spec in SERVICES:
        if spec.name != "health":
            assert ("0.0.0.0/0", 80) not in open_ports(spec.name), spec.name
