"""A project declaring every kind of HTTP route, for the local API tests (process and container backends)."""

from __future__ import annotations

import textwrap
from pathlib import Path

TEMPLATE = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    Timeout: 5
    MemorySize: 128
    CodeUri: src/
Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.echo
      FunctionUrlConfig:
        AuthType: NONE
        Cors:
          AllowOrigins: ["https://url.example"]
      Events:
        RestItem:
          Type: Api
          Properties: {Path: "/items/{id}", Method: get}
        RestExact:
          Type: Api
          Properties: {Path: /items/special, Method: get}
        RestProxy:
          Type: Api
          Properties: {Path: "/files/{proxy+}", Method: any}
        HttpV2:
          Type: HttpApi
          Properties: {Path: "/v2/{name}", Method: get}
        HttpV2Post:
          Type: HttpApi
          Properties: {Path: "/v2/{name}", Method: post}
        HttpV1:
          Type: HttpApi
          Properties: {Path: "/v1/{name}", Method: post, PayloadFormatVersion: "1.0"}
        HttpAny:
          Type: HttpApi
          Properties: {Path: /any, Method: any}
        Explicit:
          Type: Api
          Properties: {RestApiId: !Ref MyRestApi, Path: /explicit/echo, Method: post}
        ExplicitHttp:
          Type: HttpApi
          Properties: {ApiId: !Ref MyHttpApi, Path: /cors/echo, Method: get}
        Twice:
          Type: HttpApi
          Properties: {Path: "/items/{other}", Method: get}
  Binary:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.binary
      Events:
        RestImage:
          Type: Api
          Properties: {RestApiId: !Ref MyRestApi, Path: /explicit/image, Method: get}
        HttpImage:
          Type: HttpApi
          Properties: {Path: /v2image, Method: get}
  Fail:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.fail
      Events:
        Rest:
          Type: Api
          Properties: {Path: /fail, Method: get}
        Http:
          Type: HttpApi
          Properties: {Path: /v2fail, Method: get}
  Malformed:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.malformed
      Events:
        Rest:
          Type: Api
          Properties: {Path: /malformed, Method: get}
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.plain
  Text:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.text
  Slow:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.slow
  Nap:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.nap
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: /nap, Method: get}
  CatchAll:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.echo
      Events:
        Default:
          Type: HttpApi
          Properties: {ApiId: !Ref MyHttpApi}
  Reload:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: reload/
      Handler: app.handler
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: /reload, Method: get}
  MyRestApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      Variables: {color: blue}
      BinaryMediaTypes: ["image~1png"]
      Cors:
        AllowOrigin: "'https://app.example'"
        AllowMethods: "'GET,POST'"
        AllowHeaders: "'Content-Type,X-Token'"
        MaxAge: "'600'"
  MyHttpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      StageName: live
      CorsConfiguration:
        AllowOrigins: ["https://app.example"]
        AllowMethods: [GET]
        AllowHeaders: [x-token]
        ExposeHeaders: [x-total]
        MaxAge: 300
  OpenApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      DefinitionBody:
        openapi: "3.0.1"
        info: {title: openapi, version: "1"}
        paths:
          /openapi/plain:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !GetAtt Plain.Arn
                payloadFormatVersion: "2.0"
          /openapi/text:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Text.Arn}/invocations"
                payloadFormatVersion: "2.0"
          /openapi/slow:
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !GetAtt Slow.Arn
                payloadFormatVersion: "2.0"
                timeoutInMillis: 1000
          /openapi/mock:
            get:
              x-amazon-apigateway-integration:
                type: mock
  PlainRest:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: plain
  PlainRestResource:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref PlainRest
      ParentId: !GetAtt PlainRest.RootResourceId
      PathPart: plainrest
  PlainRestId:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref PlainRest
      ParentId: !Ref PlainRestResource
      PathPart: "{id}"
  PlainRestMethod:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref PlainRest
      ResourceId: !Ref PlainRestId
      HttpMethod: PUT
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Echo.Arn}/invocations"
  PlainRestStage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref PlainRest
      StageName: v1
  PlainHttp:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: plainhttp
      ProtocolType: HTTP
  PlainHttpIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref PlainHttp
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Echo.Arn
      PayloadFormatVersion: "2.0"
  PlainHttpRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref PlainHttp
      RouteKey: "DELETE /plainhttp/{id}"
      Target: !Join ["/", ["integrations", !Ref PlainHttpIntegration]]
"""

APP = """
import base64
import json
import time

PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0xFF, 0x00])


def echo(event, context):
    print("echo", event.get("rawPath") or event.get("path"))
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Echo": "1"},
        "multiValueHeaders": {"X-Multi": ["a", "b"]},
        "cookies": ["c1=v1", "c2=v2"],
        "body": json.dumps(event),
    }


def binary(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "image/png"},
        "body": base64.b64encode(PNG).decode(),
        "isBase64Encoded": True,
    }


def fail(event, context):
    raise ValueError("the function failed on purpose")


def malformed(event, context):
    return {"statusCode": 200, "body": {"not": "a string"}}


def plain(event, context):
    return {"hello": "world", "n": 1}


def text(event, context):
    return "just text"


def nap(event, context):
    time.sleep(2)
    return {"statusCode": 200, "body": "rested"}


def slow(event, context):
    time.sleep(4)
    return {"statusCode": 200, "body": "late"}
"""

PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0xFF, 0x00])


def write_project(root: Path) -> Path:
    """Writes the project into root and returns root."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "app.py").write_text(textwrap.dedent(APP))
    (root / "reload").mkdir(exist_ok=True)
    (root / "reload" / "app.py").write_text("def handler(event, context):\n    return {'version': 1}\n")
    return root
