"""The event bus: one SNS topic per event type, one SQS queue (+ dead-letter queue) per
consuming service, subscribed to exactly the topics that service handles.

Names follow registry_common.bus.sns_sqs (`{prefix}-{EventType}`, `{prefix}-{consumer}`,
`{prefix}-{consumer}-dlq`), so the running services find what the stack created. The
services run with REGISTRY_BUS_PROVISION=false: the stack alone owns topics, queues,
subscriptions and policies, and the bus only looks them up (so no task role may create,
subscribe or rewrite a policy); docs/decisions.md explains the split.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from registry_deploy.config import DeploymentConfig
from registry_deploy.topology import (
    DLQ_RETENTION_DAYS,
    EVENT_TYPES,
    MAX_RECEIVE_COUNT,
    SERVICES,
    VISIBILITY_TIMEOUT_SECONDS,
)


class EventBus(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: DeploymentConfig) -> None:
        super().__init__(scope, construct_id)
        self.prefix = config.prefix
        # The AWS managed key: encryption at rest at no cost. SNS delivers to the queues
        # (SQS-managed encryption) itself; publishers need no KMS grant for a managed key.
        sns_key = kms.Alias.from_alias_name(self, "SnsKey", "alias/aws/sns")
        self.topics: dict[str, sns.Topic] = {
            event_type: sns.Topic(
                self,
                event_type,
                topic_name=f"{config.prefix}-{event_type}",
                display_name=f"registry event {event_type}",
                master_key=sns_key,
                enforce_ssl=True,
            )
            for event_type in EVENT_TYPES
        }
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for spec in SERVICES:
            if not spec.consumes:
                continue
            dlq = sqs.Queue(
                self,
                f"{spec.name}-dlq",
                queue_name=f"{config.prefix}-{spec.name}-dlq",
                retention_period=Duration.days(DLQ_RETENTION_DAYS),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
            )
            queue = sqs.Queue(
                self,
                spec.name,
                queue_name=f"{config.prefix}-{spec.name}",
                visibility_timeout=Duration.seconds(VISIBILITY_TIMEOUT_SECONDS),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                dead_letter_queue=sqs.DeadLetterQueue(
                    queue=dlq, max_receive_count=MAX_RECEIVE_COUNT
                ),
            )
            for event_type in spec.consumes:
                # Raw delivery (the bus parses the event body itself); the queue policy lets
                # only this topic send (aws:SourceArn).
                self.topics[event_type].add_subscription(
                    subscriptions.SqsSubscription(queue, raw_message_delivery=True)
                )
            self.queues[spec.name] = queue
            self.dead_letter_queues[spec.name] = dlq
