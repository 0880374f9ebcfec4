"""What the delivery pipeline needs in the account, deployed once by an administrator:
the ECR repositories of the six images and the role GitHub Actions assumes through OIDC.

No access keys exist anywhere: GitHub's OIDC token for a job running in the repository's
`production` environment is exchanged for short-lived credentials of the deploy role, which
can push images to these repositories, read the registry stack's outputs, and otherwise only
assume the CDK bootstrap roles (which `cdk deploy` uses to change the stack).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnCondition, CfnOutput, CfnParameter, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from registry_deploy.config import DeploymentConfig
from registry_deploy.topology import SERVICES

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
CDK_QUALIFIER = "hnb659fds"  # `cdk bootstrap`'s default
KEEP_IMAGES = 30


class CiStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeploymentConfig,
        registry_stack_name: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        repository = CfnParameter(
            self,
            "GitHubRepository",
            type="String",
            description="owner/name of the GitHub repository whose workflows may deploy",
            allowed_pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
        ).value_as_string
        environment = CfnParameter(
            self,
            "GitHubEnvironment",
            type="String",
            default="production",
            description="The GitHub environment the deploying jobs run in (its protection "
            "rules decide who may deploy)",
            allowed_pattern=r"^[A-Za-z0-9_.-]+$",
        ).value_as_string
        existing_provider = CfnParameter(
            self,
            "ExistingOidcProviderArn",
            type="String",
            default="",
            description="ARN of the account's GitHub OIDC provider if one exists already "
            "(an account has at most one per URL); empty: this stack creates it",
        ).value_as_string
        create_provider = CfnCondition(
            self, "CreateOidcProvider", expression=Fn.condition_equals(existing_provider, "")
        )
        provider = iam.CfnOIDCProvider(
            self,
            "GitHubOidc",
            url=f"https://{GITHUB_OIDC_HOST}",
            client_id_list=["sts.amazonaws.com"],
        )
        provider.cfn_options.condition = create_provider
        provider_arn = Fn.condition_if(
            create_provider.logical_id, provider.attr_arn, existing_provider
        ).to_string()

        self.repositories = {
            spec.name: ecr.Repository(
                self,
                f"{spec.name.capitalize()}Images",
                repository_name=f"{config.prefix}/{spec.name}",
                image_scan_on_push=True,
                # A tag is a commit: it can never point at other bytes later.
                image_tag_mutability=ecr.TagMutability.IMMUTABLE,
                encryption=ecr.RepositoryEncryption.AES_256,
                lifecycle_rules=[
                    ecr.LifecycleRule(
                        description=f"keep the newest {KEEP_IMAGES} images (rollback targets)",
                        max_image_count=KEEP_IMAGES,
                    )
                ],
                removal_policy=RemovalPolicy.RETAIN,
            )
            for spec in SERVICES
        }

        self.deploy_role = iam.Role(
            self,
            "GitHubDeployRole",
            role_name=f"{config.prefix}-github-deploy",
            description="Assumed by GitHub Actions (OIDC) to push images and deploy the registry",
            max_session_duration=Duration.hours(1),
            assumed_by=iam.FederatedPrincipal(
                provider_arn,
                conditions={
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
                        # Only jobs of this repository running in the protected environment.
                        f"{GITHUB_OIDC_HOST}:sub": Fn.join(
                            "", ["repo:", repository, ":environment:", environment]
                        ),
                    }
                },
                assume_role_action="sts:AssumeRoleWithWebIdentity",
            ),
        )
        self.deploy_role.add_to_policy(
            iam.PolicyStatement(
                sid="EcrLogin",
                actions=["ecr:GetAuthorizationToken"],
                resources=["*"],  # the action has no resource-level permissions
            )
        )
        self.deploy_role.add_to_policy(
            iam.PolicyStatement(
                sid="PushImages",
                actions=[
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:CompleteLayerUpload",
                    "ecr:DescribeImages",
                    "ecr:InitiateLayerUpload",
                    "ecr:PutImage",
                    "ecr:UploadLayerPart",
                ],
                resources=[repo.repository_arn for repo in self.repositories.values()],
            )
        )
        self.deploy_role.add_to_policy(
            iam.PolicyStatement(
                sid="CdkDeploy",
                actions=["sts:AssumeRole", "sts:TagSession"],
                resources=[
                    self.format_arn(
                        service="iam",
                        region="",
                        resource="role",
                        resource_name=f"cdk-{CDK_QUALIFIER}-*-{self.account}-*",
                    )
                ],
            )
        )
        self.deploy_role.add_to_policy(
            iam.PolicyStatement(
                sid="ReadRegistryStack",
                actions=["cloudformation:DescribeStacks"],
                resources=[
                    self.format_arn(
                        service="cloudformation",
                        resource="stack",
                        resource_name=f"{registry_stack_name}/*",
                    )
                ],
            )
        )
        CfnOutput(
            self,
            "DeployRoleArn",
            value=self.deploy_role.role_arn,
            description="GitHub variable AWS_DEPLOY_ROLE_ARN",
        )
