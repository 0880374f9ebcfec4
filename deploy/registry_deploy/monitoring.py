"""Alarms, the operations dashboard and the budget.

The alarms use the health feed's thresholds (docs/observability.md): 5xx above 5 % of
requests, p95 latency above 2 s, any dead letter, more than 100 events waiting. They are
measured at the load balancer and on the queues, which AWS records without any code of
ours, so they work even while the telemetry pipeline does not.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from registry_deploy.config import DeploymentConfig
from registry_deploy.messaging import EventBus
from registry_deploy.services import RegistryServices
from registry_deploy.storage import Database

ERROR_RATE_PERCENT = 5
P95_SECONDS = 2
QUEUE_BACKLOG = 100
FIVE_MINUTES = Duration.minutes(5)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        services: RegistryServices,
        bus: EventBus,
        database: Database,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        # Not KMS-encrypted: CloudWatch alarms and AWS Budgets cannot publish to a topic
        # under the AWS managed key, and alarm texts carry no registry data.
        self.topic = sns.Topic(
            self,
            "Alarms",
            topic_name=f"{config.prefix}-alarms",
            display_name="registry alarms",
            enforce_ssl=True,
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="BudgetsPublish",
                principals=[iam.ServicePrincipal("budgets.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self.alarms: list[cloudwatch.Alarm] = []
        balancer = services.load_balancer.metrics
        target_group = services.target_group.metrics

        requests = balancer.request_count(period=FIVE_MINUTES, statistic="Sum")
        target_5xx = balancer.http_code_target(
            code=elbv2.HttpCodeTarget.TARGET_5XX_COUNT, period=FIVE_MINUTES, statistic="Sum"
        )
        # 502/503/504 made by the load balancer itself (no healthy gateway, timeouts).
        balancer_5xx = balancer.http_code_elb(
            code=elbv2.HttpCodeElb.ELB_5XX_COUNT, period=FIVE_MINUTES, statistic="Sum"
        )
        error_rate = cloudwatch.MathExpression(
            expression="IF(requests > 0, 100 * (target5xx + elb5xx) / requests, 0)",
            using_metrics={"requests": requests, "target5xx": target_5xx, "elb5xx": balancer_5xx},
            label="5xx responses (% of requests)",
            period=FIVE_MINUTES,
        )
        self._alarm(
            "Gateway5xxRate",
            error_rate,
            threshold=ERROR_RATE_PERCENT,
            description=f"More than {ERROR_RATE_PERCENT} % of requests answered 5xx "
            "(the health feed's high_error_rate); GET /health/requests?minStatus=500 names them.",
        )
        latency = target_group.target_response_time(period=FIVE_MINUTES, statistic="p95")
        self._alarm(
            "GatewayP95Latency",
            latency,
            threshold=P95_SECONDS,
            # Three periods: uploads and downloads are slow by design and come in bursts.
            evaluation_periods=3,
            description=f"p95 latency above {P95_SECONDS} s for 15 minutes (high_latency).",
        )
        healthy = target_group.healthy_host_count(period=Duration.minutes(1), statistic="Minimum")
        self._alarm(
            "GatewayNoHealthyTask",
            healthy,
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=3,
            missing=cloudwatch.TreatMissingData.BREACHING,
            description="No gateway task passes the load balancer's /health check.",
        )
        for consumer, dlq in bus.dead_letter_queues.items():
            self._alarm(
                f"{consumer.capitalize()}DeadLetters",
                dlq.metric_approximate_number_of_messages_visible(
                    period=FIVE_MINUTES, statistic="Maximum"
                ),
                # One dead letter is enough: each is an event lost until someone redrives it.
                threshold=1,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                description=f"Events {consumer} failed to handle every attempt are in "
                f"{dlq.queue_name} (dead_letters_present); fix the cause, then redrive "
                "(POST /health/dead-letters/redrive, or the dashboard's Redrive button).",
            )
        for consumer, queue in bus.queues.items():
            self._alarm(
                f"{consumer.capitalize()}Backlog",
                queue.metric_approximate_number_of_messages_visible(
                    period=FIVE_MINUTES, statistic="Maximum"
                ),
                threshold=QUEUE_BACKLOG,
                evaluation_periods=2,
                description=f"More than {QUEUE_BACKLOG} events wait for {consumer} "
                "(queue_backlog).",
            )
        instance = database.instance
        self._alarm(
            "DatabaseCpu",
            instance.metric_cpu_utilization(period=FIVE_MINUTES),
            threshold=80,
            evaluation_periods=3,
            description="PostgreSQL CPU above 80 % for 15 minutes.",
        )
        self._alarm(
            "DatabaseStorage",
            instance.metric_free_storage_space(period=FIVE_MINUTES),
            threshold=2 * 1024**3,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            description="Less than 2 GiB free on PostgreSQL (storage autoscaling is capped).",
        )

        self.dashboard = self._dashboard(
            services, bus, database, error_rate, latency, requests, healthy
        )
        self.budget = budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"{config.prefix}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(
                    amount=config.monthly_budget_usd, unit="USD"
                ),
            ),
            notifications_with_subscribers=[
                self._budget_notification("ACTUAL", 80),
                self._budget_notification("FORECASTED", 100),
            ],
        )

    def _alarm(
        self,
        name: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        comparison: cloudwatch.ComparisonOperator = (
            cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
        ),
        evaluation_periods: int = 1,
        missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            name,
            alarm_name=f"{self.config.prefix}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=evaluation_periods,
            treat_missing_data=missing,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        alarm.add_ok_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)
        return alarm

    def _budget_notification(
        self, kind: str, percent: int
    ) -> budgets.CfnBudget.NotificationWithSubscribersProperty:
        subscribers = [
            budgets.CfnBudget.SubscriberProperty(
                subscription_type="SNS", address=self.topic.topic_arn
            )
        ]
        if self.config.alarm_email:
            subscribers.append(
                budgets.CfnBudget.SubscriberProperty(
                    subscription_type="EMAIL", address=self.config.alarm_email
                )
            )
        return budgets.CfnBudget.NotificationWithSubscribersProperty(
            notification=budgets.CfnBudget.NotificationProperty(
                notification_type=kind,
                comparison_operator="GREATER_THAN",
                threshold=percent,
                threshold_type="PERCENTAGE",
            ),
            subscribers=subscribers,
        )

    def _dashboard(
        self,
        services: RegistryServices,
        bus: EventBus,
        database: Database,
        error_rate: cloudwatch.IMetric,
        latency: cloudwatch.IMetric,
        requests: cloudwatch.IMetric,
        healthy: cloudwatch.IMetric,
    ) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{self.config.prefix}-operations",
            default_interval=Duration.hours(3),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Requests (5 min)", left=[requests], width=8),
            cloudwatch.GraphWidget(
                title="5xx (% of requests)",
                left=[error_rate],
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(value=ERROR_RATE_PERCENT, label="alarm")
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Gateway p95 latency (s)",
                left=[latency],
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(value=P95_SECONDS, label="alarm")
                ],
                right=[healthy],
                width=8,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="CPU (%) per service",
                left=[svc.metric_cpu_utilization() for svc in services.services.values()],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Memory (%) per service",
                left=[svc.metric_memory_utilization() for svc in services.services.values()],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Events waiting per consumer",
                left=[
                    q.metric_approximate_number_of_messages_visible(label=name)
                    for name, q in bus.queues.items()
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Dead letters per consumer",
                left=[
                    q.metric_approximate_number_of_messages_visible(label=name)
                    for name, q in bus.dead_letter_queues.items()
                ],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="PostgreSQL",
                left=[database.instance.metric_cpu_utilization()],
                right=[database.instance.metric_database_connections()],
                width=12,
            ),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=12),
        )
        return dashboard
