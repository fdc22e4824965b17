/// The OpenAPI 3.1 document of the HTTP API, served as it is at `GET /openapi.json`.
///
/// Maintained by hand, next to the routes it describes; `OpenAPITests` fails when a route is
/// missing from it, a documented operation is not routed, an error code is missing or carries
/// the wrong status, a `$ref` dangles, `openapi-spec-validator` refuses it, or a real response
/// does not match its schema. It lives in a raw string rather than a resource file so every
/// way of building — `swift run`, `swift test`, a release binary copied elsewhere — carries it
/// without a bundle to find at run time.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Interior",
    "version": "1.0.0",
    "summary": "The generation engine of an Australian AI interior-design app.",
    "description": "Submit a room photo (or only an idea), get photoreal redesigns back.\n\nEvery JSON response is an envelope: `{\"success\": true, \"data\": ...}` or `{\"success\": false, \"error\": {\"code\", \"message\", \"details\"?}}`; the error codes and their statuses are `ErrorCode`. Every response carries `X-Request-Id` (the client's, echoed when sane) and, unless it says otherwise, `Cache-Control: private, no-store`. A known path called with a method it does not answer is 405 METHOD_NOT_ALLOWED with an `Allow` header; an unknown path is 404 NOT_FOUND. Every GET also answers HEAD. Request bodies are limited to 64 KiB except the submit (see there) and the webhook (1 MB).\n\nUsers authenticate with `Authorization: Bearer <access token>`. Ids are UUIDs, shown in lower case; times are ISO 8601 in UTC."
  },
  "servers": [{"url": "/"}],
  "tags": [
    {"name": "Service", "description": "Health, configuration, metrics, this document."},
    {"name": "Account", "description": "The signed-in user and their quota."},
    {"name": "Generations", "description": "Submitting and following generation jobs."},
    {"name": "Renders", "description": "The gallery of stored results."},
    {"name": "Webhooks", "description": "Calls from Replicate."},
    {"name": "Storage", "description": "Object URLs of the local storage backend."}
  ],
  "security": [{"bearerAuth": []}],
  "paths": {
    "/api/v1/health": {
      "get": {
        "operationId": "getHealth",
        "tags": ["Service"],
        "summary": "Can this instance serve?",
        "description": "Checks the database and storage. 200 when both answer; 503 SERVICE_UNAVAILABLE otherwise, so a load balancer can act on it.",
        "parameters": [{"$ref": "#/components/parameters/X-Request-Id"}],
        "security": [],
        "responses": {
          "200": {
            "description": "Healthy.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HealthEnvelope"}}}
          },
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {
            "description": "SERVICE_UNAVAILABLE: the database or storage cannot be reached; `details` has `db` and `storage` (`ok` or `error`) and `replicate`.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["SERVICE_UNAVAILABLE"]}}}}
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/config": {
      "get": {
        "operationId": "getConfig",
        "tags": ["Service"],
        "summary": "What the create form needs",
        "description": "Modes, room types, styles, aspect ratios, qualities, defaults and limits, from the runtime config. The image model may serve less than the config offers (a mode it cannot serve, fewer variants); a submit beyond it is a 400 naming the field.",
        "parameters": [{"$ref": "#/components/parameters/X-Request-Id"}],
        "security": [],
        "responses": {
          "200": {
            "description": "The public configuration.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PublicConfigEnvelope"}}}
          },
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/api/v1/auth/me": {
      "get": {
        "operationId": "getMe",
        "tags": ["Account"],
        "summary": "The signed-in user",
        "description": "Creates the user's profile on first use.",
        "parameters": [{"$ref": "#/components/parameters/X-Request-Id"}],
        "security": [{"bearerAuth": []}],
        "responses": {
          "200": {
            "description": "The user.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MeEnvelope"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/api/v1/auth/dev-token": {
      "post": {
        "operationId": "mintDevToken",
        "tags": ["Account"],
        "summary": "A dev-mode access token (the web page's demo sign-in)",
        "description": "Exists only when `AUTH_MODE=dev` (which is refused in production); elsewhere the path is a 404. Mints what `interior token` mints: an HS256 token signed with the dev secret in the data directory, valid for 12 hours, for the given user id or a fixed demo user.",
        "x-interior-dev-only": true,
        "parameters": [{"$ref": "#/components/parameters/X-Request-Id"}],
        "security": [],
        "requestBody": {
          "required": false,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DevTokenRequest"}}}
        },
        "responses": {
          "200": {
            "description": "The token.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DevTokenEnvelope"}}}
          },
          "400": {
            "description": "VALIDATION_ERROR: the body is not a JSON object, or `userId` is not a UUID.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["VALIDATION_ERROR"]}}}}
                }
              }
            }
          },
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/api/v1/usage": {
      "get": {
        "operationId": "getUsage",
        "tags": ["Account"],
        "summary": "This month's generations",
        "description": "Allowance, used and remaining for the current UTC calendar month. A job counts in the month it was created; a refund gives its generation back.",
        "parameters": [{"$ref": "#/components/parameters/X-Request-Id"}],
        "security": [{"bearerAuth": []}],
        "responses": {
          "200": {
            "description": "The usage.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UsageEnvelope"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/api/v1/generations": {
      "post": {
        "operationId": "submitGeneration",
        "tags": ["Generations"],
        "summary": "Submit a generation",
        "description": "Validates and moderates, then (in one transaction) creates the job and debits one generation; stores the images privately and starts a Replicate prediction. Answers at once with the job summary; poll `GET /api/v1/generations/{id}` for the result. One job per user can be in flight: with one in flight, or no generations left, the answer (409, 402) comes before any image is read. The body is read as it streams: a file over the limit stops reading at once with 413; a body that stops arriving for `timeouts.requestBodyIdle` seconds (30 by default) is 408; the bytes of submit bodies held at once are bounded per user (429 beyond `limits.maxBodyBytesInFlightPerUser`) and in all (503 beyond `limits.maxBodyBytesInFlight`), both with `Retry-After`.\n\nThe served document states this instance's choices in the submit schemas: its modes, presets, ratios and tiers, and per mode the images it needs and refuses.",
        "parameters": [
          {"$ref": "#/components/parameters/X-Request-Id"},
          {"$ref": "#/components/parameters/Idempotency-Key"}
        ],
        "security": [{"bearerAuth": []}],
        "requestBody": {
          "required": true,
          "content": {
            "multipart/form-data": {
              "schema": {"$ref": "#/components/schemas/SubmitForm"},
              "encoding": {
                "input1": {"contentType": "image/jpeg, image/png, image/webp, image/heic, image/heif, image/avif"},
                "input2": {"contentType": "image/jpeg, image/png, image/webp, image/heic, image/heif, image/avif"}
              }
            },
            "application/json": {
              "schema": {"$ref": "#/components/schemas/SubmitJSON"},
              "examples": {
                "imagine": {
                  "value": {
                    "mode": "imagine",
                    "prompt": "a sunlit Queenslander verandah with rattan chairs",
                    "style": "coastal_au",
                    "variants": 2
                  }
                }
              }
            }
          }
        },
        "responses": {
          "202": {
            "description": "Accepted: the job summary.",
            "headers": {
              "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
              "Idempotent-Replayed": {"$ref": "#/components/headers/Idempotent-Replayed"}
            },
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenerationEnvelope"}}}
          },
          "400": {
            "description": "VALIDATION_ERROR: a field is missing or invalid (`details.field` names it): mode, prompt (required for imagine, too long, or refused by moderation), roomType, style, aspectRatio, quality, variants, idempotencyKey (not a UUID, or differs from the Idempotency-Key header), the images a mode needs (missing, or one sent to imagine), an image too small or over the megapixel limit or damaged, an input URL that is not the caller's own upload, a malformed body.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["VALIDATION_ERROR"]}}}}
                }
              }
            }
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "402": {
            "description": "LIMIT_EXCEEDED: no generations left this month; `details` has `planId` and `periodEnd`. Nothing is created.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["LIMIT_EXCEEDED"]}}}}
                }
              }
            }
          },
          "409": {
            "description": "TOO_MANY_INFLIGHT: a job of this user is already starting or processing. Nothing is charged.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["TOO_MANY_INFLIGHT"]}}}}
                }
              }
            }
          },
          "408": {
            "description": "REQUEST_TIMEOUT: the body stopped arriving for `timeouts.requestBodyIdle` seconds. Nothing is created.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["REQUEST_TIMEOUT"]}}}}
                }
              }
            }
          },
          "503": {
            "description": "SERVICE_UNAVAILABLE: the instance holds as many submit bodies as it may (`limits.maxBodyBytesInFlight`); wait `Retry-After` seconds. Nothing is created.",
            "headers": {
              "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
              "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "string", "pattern": "^[0-9]+$"}}
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["SERVICE_UNAVAILABLE"]}}}}
                }
              }
            }
          },
          "413": {
            "description": "PAYLOAD_TOO_LARGE: an image over `limits.maxUploadBytes`, a multipart body over twice that plus 64 KiB, or a JSON body over 64 KiB.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["PAYLOAD_TOO_LARGE"]}}}}
                }
              }
            }
          },
          "415": {
            "description": "UNSUPPORTED_MEDIA_TYPE: the body is neither multipart/form-data nor application/json, or an image is not, by its bytes, one of the accepted types this instance decodes: JPEG, PNG, WebP, HEIC, HEIF or AVIF by default (`details.field` names it; the message lists them).",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["UNSUPPORTED_MEDIA_TYPE"]}}}}
                }
              }
            }
          },
          "422": {
            "description": "IDEMPOTENCY_KEY_REUSED: the idempotency key was used for a different request.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["IDEMPOTENCY_KEY_REUSED"]}}}}
                }
              }
            }
          },
          "500": {
            "description": "INTERNAL_ERROR: anything unexpected, e.g. the images could not be stored. A job that was created is marked failed and refunded: the net charge is zero.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["INTERNAL_ERROR"]}}}}
                }
              }
            }
          },
          "502": {
            "description": "UPSTREAM_ERROR: Replicate refused or failed to create the prediction after retries. The job is marked failed and refunded: the net charge is zero.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["UPSTREAM_ERROR"]}}}}
                }
              }
            }
          }
        }
      },
      "get": {
        "operationId": "listGenerations",
        "tags": ["Generations"],
        "summary": "The user's jobs",
        "description": "Newest first, with cursor pagination. Items carry no variants; get a job for its images.",
        "parameters": [
          {"$ref": "#/components/parameters/X-Request-Id"},
          {"$ref": "#/components/parameters/Cursor"},
          {"$ref": "#/components/parameters/GenerationsLimit"}
        ],
        "security": [{"bearerAuth": []}],
        "responses": {
          "200": {
            "description": "A page of jobs.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenerationListEnvelope"}}}
          },
          "400": {
            "description": "VALIDATION_ERROR: `limit` is not 1–100 or `cursor` is not one this service gave out.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["VALIDATION_ERROR"]}}}}
                }
              }
            }
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/api/v1/generations/{id}": {
      "get": {
        "operationId": "getGeneration",
        "tags": ["Generations"],
        "summary": "A job and its result",
        "description": "Owner only. If the job is in flight and was not polled in the last few seconds, Replicate is asked once (briefly; a failure there is not an error here). A succeeded job includes its variants; a failed or canceled one its error.",
        "parameters": [{"$ref": "#/components/parameters/X-Request-Id"}, {"$ref": "#/components/parameters/JobId"}],
        "security": [{"bearerAuth": []}],
        "responses": {
          "200": {
            "description": "The job.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenerationEnvelope"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "404": {
            "description": "NOT_FOUND: no such job of this user.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["NOT_FOUND"]}}}}
                }
              }
            }
          },
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/api/v1/generations/{id}/cancel": {
      "post": {
        "operationId": "cancelGeneration",
        "tags": ["Generations"],
        "summary": "Cancel a job in flight",
        "description": "Cancels at Replicate (best effort), marks the job canceled and refunds its generation. No body.",
        "parameters": [{"$ref": "#/components/parameters/X-Request-Id"}, {"$ref": "#/components/parameters/JobId"}],
        "security": [{"bearerAuth": []}],
        "responses": {
          "200": {
            "description": "The canceled job (status canceled, error CANCELED).",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenerationEnvelope"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "404": {
            "description": "NOT_FOUND: no such job of this user.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["NOT_FOUND"]}}}}
                }
              }
            }
          },
          "409": {
            "description": "INVALID_STATE: the job is not starting or processing.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["INVALID_STATE"]}}}}
                }
              }
            }
          },
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/api/v1/generations/{id}/retry": {
      "post": {
        "operationId": "retryGeneration",
        "tags": ["Generations"],
        "summary": "Submit a failed or canceled job again",
        "description": "A new job with the same stored inputs and settings, under every rule of submit (quota, one in flight, idempotency). No body.",
        "parameters": [
          {"$ref": "#/components/parameters/X-Request-Id"},
          {"$ref": "#/components/parameters/JobId"},
          {"$ref": "#/components/parameters/Idempotency-Key"}
        ],
        "security": [{"bearerAuth": []}],
        "responses": {
          "202": {
            "description": "Accepted: the new job's summary.",
            "headers": {
              "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
              "Idempotent-Replayed": {"$ref": "#/components/headers/Idempotent-Replayed"}
            },
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/GenerationEnvelope"}}}
          },
          "400": {
            "description": "VALIDATION_ERROR: the job's images are no longer stored (`details.field` names the input), its settings no longer pass validation, or the Idempotency-Key is not a UUID.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["VALIDATION_ERROR"]}}}}
                }
              }
            }
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "402": {
            "description": "LIMIT_EXCEEDED: no generations left this month.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["LIMIT_EXCEEDED"]}}}}
                }
              }
            }
          },
          "404": {
            "description": "NOT_FOUND: no such job of this user.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["NOT_FOUND"]}}}}
                }
              }
            }
          },
          "409": {
            "description": "INVALID_STATE: the job did not fail and was not canceled. TOO_MANY_INFLIGHT: another job of this user is in flight.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["INVALID_STATE", "TOO_MANY_INFLIGHT"]}}}}
                }
              }
            }
          },
          "422": {
            "description": "IDEMPOTENCY_KEY_REUSED: the idempotency key was used for a different request.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["IDEMPOTENCY_KEY_REUSED"]}}}}
                }
              }
            }
          },
          "500": {
            "description": "INTERNAL_ERROR: anything unexpected. A job that was created is marked failed and refunded.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["INTERNAL_ERROR"]}}}}
                }
              }
            }
          },
          "502": {
            "description": "UPSTREAM_ERROR: Replicate refused or failed to create the prediction. The new job is marked failed and refunded.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["UPSTREAM_ERROR"]}}}}
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/renders": {
      "get": {
        "operationId": "listRenders",
        "tags": ["Renders"],
        "summary": "The user's gallery",
        "description": "Newest first, with cursor pagination, optionally filtered by mode, room type and style.",
        "parameters": [
          {"$ref": "#/components/parameters/X-Request-Id"},
          {"$ref": "#/components/parameters/Cursor"},
          {"$ref": "#/components/parameters/RendersLimit"},
          {"$ref": "#/components/parameters/ModeFilter"},
          {"$ref": "#/components/parameters/RoomTypeFilter"},
          {"$ref": "#/components/parameters/StyleFilter"}
        ],
        "security": [{"bearerAuth": []}],
        "responses": {
          "200": {
            "description": "A page of renders.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RenderListEnvelope"}}}
          },
          "400": {
            "description": "VALIDATION_ERROR: `limit` is not 1–100, `cursor` is not one this service gave out, or `mode`, `roomType` or `style` is unknown (`details.field` names it).",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["VALIDATION_ERROR"]}}}}
                }
              }
            }
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/api/v1/renders/{id}": {
      "get": {
        "operationId": "getRender",
        "tags": ["Renders"],
        "summary": "A render with all its variants",
        "description": "Owner only.",
        "parameters": [{"$ref": "#/components/parameters/X-Request-Id"}, {"$ref": "#/components/parameters/RenderId"}],
        "security": [{"bearerAuth": []}],
        "responses": {
          "200": {
            "description": "The render.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RenderEnvelope"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "404": {
            "description": "NOT_FOUND: no such render of this user (or it was deleted).",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["NOT_FOUND"]}}}}
                }
              }
            }
          },
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      },
      "delete": {
        "operationId": "deleteRender",
        "tags": ["Renders"],
        "summary": "Delete a render",
        "description": "Removes the image and thumbnail objects from the public bucket, then soft-deletes the rows: the render's URLs stop working. If removing the objects fails the render stays, and the delete can be repeated.",
        "parameters": [{"$ref": "#/components/parameters/X-Request-Id"}, {"$ref": "#/components/parameters/RenderId"}],
        "security": [{"bearerAuth": []}],
        "responses": {
          "200": {
            "description": "Deleted.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RenderDeletedEnvelope"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "404": {
            "description": "NOT_FOUND: no such render of this user (or it was deleted).",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["NOT_FOUND"]}}}}
                }
              }
            }
          },
          "500": {
            "description": "INTERNAL_ERROR: the objects could not be removed (the render is kept), or anything unexpected.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["INTERNAL_ERROR"]}}}}
                }
              }
            }
          }
        }
      }
    },
    "/api/v1/webhooks/replicate": {
      "post": {
        "operationId": "receiveReplicateWebhook",
        "tags": ["Webhooks"],
        "summary": "Replicate's prediction events",
        "description": "Called by Replicate, signed per Standard Webhooks: `webhook-signature` holds space-separated `v1,<base64>` entries, each an HMAC-SHA256 with the `whsec_` secret of `{webhook-id}.{webhook-timestamp}.{raw body}`; one must match and the timestamp must be within 5 minutes of now. A verified event is recorded durably (duplicates of a `webhook-id` collapse) and answered 200 at once; a worker applies it afterwards. The service registers this URL with `?job={jobId}` when it creates a prediction.",
        "parameters": [
          {"$ref": "#/components/parameters/X-Request-Id"},
          {
            "name": "job",
            "in": "query",
            "required": false,
            "description": "The job the prediction belongs to, as set in the webhook URL.",
            "schema": {"type": "string", "format": "uuid"}
          },
          {
            "name": "webhook-id",
            "in": "header",
            "required": true,
            "description": "The event's id (at most 200 characters); the inbox key.",
            "schema": {"type": "string", "maxLength": 200}
          },
          {
            "name": "webhook-timestamp",
            "in": "header",
            "required": true,
            "description": "Unix seconds when it was sent.",
            "schema": {"type": "string", "pattern": "^[0-9]+$"}
          },
          {
            "name": "webhook-signature",
            "in": "header",
            "required": true,
            "description": "Space-separated `v1,<base64 HMAC-SHA256>` signatures.",
            "schema": {"type": "string"}
          }
        ],
        "security": [],
        "requestBody": {
          "required": true,
          "description": "The raw bytes are what is signed.",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReplicatePrediction"}}}
        },
        "responses": {
          "200": {
            "description": "Recorded.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Acknowledgement"}}}
          },
          "400": {
            "description": "VALIDATION_ERROR: `webhook-id` is longer than 200 characters.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["VALIDATION_ERROR"]}}}}
                }
              }
            }
          },
          "401": {
            "description": "UNAUTHORIZED: a signature header is missing, the signature does not match, or the timestamp is stale. Nothing is recorded.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["UNAUTHORIZED"]}}}}
                }
              }
            }
          },
          "413": {
            "description": "PAYLOAD_TOO_LARGE: the body is over 1 MB.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["PAYLOAD_TOO_LARGE"]}}}}
                }
              }
            }
          },
          "500": {"$ref": "#/components/responses/InternalError"},
          "503": {
            "description": "SERVICE_UNAVAILABLE: the event could not be recorded; Replicate delivers it again.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["SERVICE_UNAVAILABLE"]}}}}
                }
              }
            }
          }
        }
      }
    },
    "/storage/v1/object/public/{bucket}/{path}": {
      "get": {
        "operationId": "getPublicObject",
        "tags": ["Storage"],
        "summary": "A public object (local storage only)",
        "description": "Served only when storage is local (`STORAGE_URL=file://...`), in Supabase Storage's URL shape; with S3 storage the objects are served by the store itself. Only the public bucket (outputs and thumbnails) is served here.",
        "parameters": [
          {"$ref": "#/components/parameters/X-Request-Id"},
          {"$ref": "#/components/parameters/Bucket"},
          {"$ref": "#/components/parameters/ObjectPath"},
          {"$ref": "#/components/parameters/If-None-Match"}
        ],
        "security": [],
        "responses": {
          "200": {
            "description": "The object's bytes, with its own Content-Type (e.g. image/webp).",
            "headers": {
              "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
              "ETag": {"$ref": "#/components/headers/ETag"},
              "Cache-Control": {"$ref": "#/components/headers/Cache-Control"},
              "Last-Modified": {"$ref": "#/components/headers/Last-Modified"},
              "X-Content-Type-Options": {"description": "`nosniff`.", "schema": {"type": "string"}}
            },
            "content": {"*/*": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}
          },
          "304": {
            "description": "Not modified: `If-None-Match` matched the ETag. No body.",
            "headers": {
              "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
              "ETag": {"$ref": "#/components/headers/ETag"},
              "Cache-Control": {"$ref": "#/components/headers/Cache-Control"},
              "Last-Modified": {"$ref": "#/components/headers/Last-Modified"}
            }
          },
          "404": {
            "description": "NOT_FOUND: no such object, not the public bucket, or a path that is not allowed.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["NOT_FOUND"]}}}}
                }
              }
            }
          },
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/storage/v1/object/sign/{bucket}/{path}": {
      "get": {
        "operationId": "getSignedObject",
        "tags": ["Storage"],
        "summary": "An object by signed URL (local storage only)",
        "description": "Served only when storage is local. The URL is one this service issued (e.g. the input URLs Replicate reads): `token` is an HMAC over bucket, path and expiry.",
        "parameters": [
          {"$ref": "#/components/parameters/X-Request-Id"},
          {"$ref": "#/components/parameters/Bucket"},
          {"$ref": "#/components/parameters/ObjectPath"},
          {
            "name": "token",
            "in": "query",
            "required": true,
            "description": "The signature and expiry this service issued. Missing: 403.",
            "schema": {"type": "string"}
          },
          {"$ref": "#/components/parameters/If-None-Match"}
        ],
        "security": [],
        "responses": {
          "200": {
            "description": "The object's bytes, with its own Content-Type (e.g. image/webp).",
            "headers": {
              "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
              "ETag": {"$ref": "#/components/headers/ETag"},
              "Cache-Control": {"$ref": "#/components/headers/Cache-Control"},
              "Last-Modified": {"$ref": "#/components/headers/Last-Modified"},
              "X-Content-Type-Options": {"description": "`nosniff`.", "schema": {"type": "string"}}
            },
            "content": {"*/*": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}
          },
          "304": {
            "description": "Not modified: `If-None-Match` matched the ETag. No body.",
            "headers": {
              "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
              "ETag": {"$ref": "#/components/headers/ETag"},
              "Cache-Control": {"$ref": "#/components/headers/Cache-Control"},
              "Last-Modified": {"$ref": "#/components/headers/Last-Modified"}
            }
          },
          "403": {
            "description": "FORBIDDEN: the token is missing, does not match, or has expired.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["FORBIDDEN"]}}}}
                }
              }
            }
          },
          "404": {
            "description": "NOT_FOUND: no such object, or a path that is not allowed.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["NOT_FOUND"]}}}}
                }
              }
            }
          },
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "getMetrics",
        "tags": ["Service"],
        "summary": "Prometheus metrics",
        "description": "Jobs by mode and outcome, latencies, Replicate requests, inbox depth. With `METRICS_TOKEN` set it requires that bearer token; without, it answers loopback clients only.",
        "parameters": [{"$ref": "#/components/parameters/X-Request-Id"}],
        "security": [{"metricsToken": []}, {}],
        "responses": {
          "200": {
            "description": "Prometheus text exposition format.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "text/plain": {
                "schema": {"type": "string", "description": "Sent as `text/plain; version=0.0.4; charset=utf-8`."}
              }
            }
          },
          "401": {
            "description": "UNAUTHORIZED: METRICS_TOKEN is set and the bearer token is missing or wrong.",
            "headers": {
              "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
              "WWW-Authenticate": {"$ref": "#/components/headers/WWW-Authenticate"}
            },
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["UNAUTHORIZED"]}}}}
                }
              }
            }
          },
          "404": {
            "description": "NOT_FOUND: METRICS_TOKEN is not set and the client is not on loopback.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ErrorEnvelope",
                  "properties": {"error": {"properties": {"code": {"enum": ["NOT_FOUND"]}}}}
                }
              }
            }
          },
          "500": {"$ref": "#/components/responses/InternalError"}
        }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "getOpenAPIDocument",
        "tags": ["Service"],
        "summary": "This document",
        "description": "The OpenAPI 3.1 document of this API, as it is (not in the envelope).",
        "parameters": [{"$ref": "#/components/parameters/X-Request-Id"}],
        "security": [],
        "responses": {
          "200": {
            "description": "The document.",
            "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
            "content": {"application/json": {"schema": {"type": "object", "required": ["openapi", "info", "paths"]}}}
          }
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A Supabase access token (HS256 with the project's JWT secret, or RS256/ES256 from its JWKS), or in dev auth mode a token from `interior token --user <uuid>`. Every failure is the same 401 UNAUTHORIZED."
      },
      "metricsToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "`METRICS_TOKEN`, when the server is configured with one."
      }
    },
    "schemas": {
      "ErrorCode": {
        "type": "string",
        "description": "Every error code of the API. Each has one HTTP status: VALIDATION_ERROR 400, UNAUTHORIZED 401, LIMIT_EXCEEDED 402, FORBIDDEN 403, NOT_FOUND 404, METHOD_NOT_ALLOWED 405, TOO_MANY_INFLIGHT 409, INVALID_STATE 409, PAYLOAD_TOO_LARGE 413, REQUEST_TIMEOUT 408, UNSUPPORTED_MEDIA_TYPE 415, IDEMPOTENCY_KEY_REUSED 422, RATE_LIMITED 429, INTERNAL_ERROR 500, UPSTREAM_ERROR 502, SERVICE_UNAVAILABLE 503.",
        "enum": [
          "VALIDATION_ERROR",
          "UNAUTHORIZED",
          "LIMIT_EXCEEDED",
          "FORBIDDEN",
          "NOT_FOUND",
          "METHOD_NOT_ALLOWED",
          "TOO_MANY_INFLIGHT",
          "INVALID_STATE",
          "PAYLOAD_TOO_LARGE",
          "REQUEST_TIMEOUT",
          "UNSUPPORTED_MEDIA_TYPE",
          "IDEMPOTENCY_KEY_REUSED",
          "RATE_LIMITED",
          "UPSTREAM_ERROR",
          "INTERNAL_ERROR",
          "SERVICE_UNAVAILABLE"
        ]
      },
      "ErrorBody": {
        "type": "object",
        "description": "What went wrong, for people (`message`) and programs (`code`, `details`).",
        "required": ["code", "message"],
        "properties": {
          "code": {"$ref": "#/components/schemas/ErrorCode"},
          "message": {
            "type": "string",
            "description": "A sentence a user can act on. Never contains tokens, secrets, signatures or stack traces."
          },
          "details": {
            "type": "object",
            "description": "Extra facts, all strings. `field` names the request field at fault (VALIDATION_ERROR, UNSUPPORTED_MEDIA_TYPE for a file, IDEMPOTENCY_KEY_REUSED); LIMIT_EXCEEDED gives `planId` and `periodEnd`; a 503 from health gives `db`, `storage` and `replicate`. Absent when there is nothing to add.",
            "additionalProperties": {"type": "string"}
          }
        }
      },
      "ErrorEnvelope": {
        "type": "object",
        "description": "The body of every JSON error response.",
        "required": ["success", "error"],
        "properties": {"success": {"const": false}, "error": {"$ref": "#/components/schemas/ErrorBody"}}
      },
      "Acknowledgement": {
        "type": "object",
        "description": "`{\"success\": true}` with no data.",
        "required": ["success"],
        "properties": {"success": {"const": true}}
      },
      "GenerationMode": {
        "type": "string",
        "enum": ["redesign", "staging", "compose", "imagine"],
        "description": "redesign: restyle a photographed room and keep its architecture (input1). staging: furnish an empty or sparse room (input1). compose: a room photo plus a reference or object image (input1, input2). imagine: text only (prompt, no images)."
      },
      "JobStatus": {
        "type": "string",
        "enum": ["starting", "processing", "succeeded", "failed", "canceled"],
        "description": "starting and processing are in flight; the others are terminal. A job whose images are still being stored is shown as processing."
      },
      "AspectRatio": {
        "type": "string",
        "enum": ["match", "1:1", "3:2", "2:3", "4:3", "3:4", "5:4", "4:5", "16:9", "9:16", "21:9"],
        "description": "`match` keeps the input photo's proportions (photo modes only); the others are fixed shapes. Which ones a mode offers depends on the image model: see `modes[].aspectRatios` in `GET /api/v1/config`."
      },
      "Quality": {
        "type": "string",
        "enum": ["auto", "low", "medium", "high"],
        "description": "The long edge of stored outputs: low 768 px, auto and medium 1024 px, high 1536 px."
      },
      "Health": {
        "type": "object",
        "description": "This instance can reach its database and storage. An instance that cannot answers 503 SERVICE_UNAVAILABLE instead, so a 200 always says ok.",
        "required": ["status", "db", "storage", "storageBackend", "replicate", "imaging", "storageAccess", "webPage"],
        "properties": {
          "status": {"type": "string", "enum": ["ok"]},
          "db": {"type": "string", "enum": ["ok"]},
          "storage": {"type": "string", "enum": ["ok"]},
          "storageBackend": {"type": "string", "enum": ["local", "s3"], "description": "Where objects are stored."},
          "imaging": {
            "type": "object",
            "required": ["libvips", "formats"],
            "properties": {
              "libvips": {"type": "string", "description": "The installed libvips version."},
              "formats": {
                "type": "array",
                "items": {"type": "string", "enum": ["jpeg", "png", "webp", "heic", "heif", "avif"]},
                "description": "Image formats this instance can decode: JPEG, PNG and WebP always; HEIC and AVIF when libvips has libheif with the codecs (HEVC, AV1), generic HEIF with either."
              }
            }
          },
          "replicate": {
            "type": "string",
            "enum": ["live", "emulator"],
            "description": "emulator when no REPLICATE_API_TOKEN is configured: images are stand-ins, not model outputs."
          },
          "storageAccess": {
            "type": "object",
            "description": "The latest storage check (run at start-up, refreshed in the background at most once a minute, never during this request): an object written to the public bucket must load without credentials at the URL the API hands out, one in the private bucket must not. Does not affect the status code.",
            "required": ["publicRead", "privateRead"],
            "properties": {
              "publicRead": {"type": "string", "enum": ["ok", "refused", "error", "pending"], "description": "refused: the public bucket does not serve its objects anonymously, so image URLs will not load. pending: no check has finished yet."},
              "privateRead": {"type": "string", "enum": ["ok", "exposed", "error", "pending"], "description": "exposed: the private bucket serves uploads to anyone."},
              "checkedAt": {"type": "string", "format": "date-time", "description": "When the reported check finished; absent while pending."}
            }
          },
          "webPage": {
            "type": "string",
            "enum": ["served", "missing"],
            "description": "Whether this instance serves the try-it page at /: missing when its files (WEB_ROOT, or Public/ beside the executable) are not there. The API works either way."
          }
        }
      },
      "HealthEnvelope": {
        "type": "object",
        "description": "`GET /api/v1/health`",
        "required": ["success", "data"],
        "properties": {"success": {"const": true}, "data": {"$ref": "#/components/schemas/Health"}}
      },
      "Preset": {
        "type": "object",
        "description": "A room type: `id` for requests, `label` for people. Requests may use either, case-insensitively.",
        "required": ["id", "label"],
        "properties": {
          "id": {"type": "string", "description": "e.g. living_room"},
          "label": {"type": "string", "description": "e.g. Living Room"}
        }
      },
      "ConfigMode": {
        "type": "object",
        "description": "A mode the runtime config offers and the image model can serve, with what the model really supports in it.",
        "required": ["id", "label", "inputImages", "requiresPrompt", "aspectRatios", "defaultAspectRatio", "qualities", "maxVariants"],
        "properties": {
          "id": {"$ref": "#/components/schemas/GenerationMode"},
          "label": {"type": "string", "description": "e.g. Virtual staging"},
          "inputImages": {
            "type": "integer",
            "description": "How many images the mode requires: exactly this many (input1, input2).",
            "minimum": 0,
            "maximum": 2
          },
          "requiresPrompt": {"type": "boolean"},
          "aspectRatios": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/AspectRatio"},
            "description": "`match` (same as the photo) first for photo modes, then the model's fixed ratios."
          },
          "defaultAspectRatio": {"$ref": "#/components/schemas/AspectRatio"},
          "qualities": {"type": "array", "items": {"$ref": "#/components/schemas/Quality"}},
          "maxVariants": {
            "type": "integer",
            "description": "The most variants a job may ask for (one prediction per image on models that return one).",
            "minimum": 1,
            "maximum": 10
          }
        }
      },
      "ConfigModel": {
        "type": "object",
        "description": "The image model the server calls (`REPLICATE_MODEL`).",
        "required": ["id", "label"],
        "properties": {
          "id": {"type": "string", "description": "owner/name, e.g. google/nano-banana"},
          "label": {"type": "string"}
        }
      },
      "ConfigStyle": {
        "type": "object",
        "description": "A style: `id` for requests, `label` for people. Requests may use either, case-insensitively.",
        "required": ["id", "label"],
        "properties": {
          "id": {"type": "string", "description": "e.g. coastal_au"},
          "label": {"type": "string", "description": "e.g. Coastal AU"}
        }
      },
      "ConfigDefaults": {
        "type": "object",
        "description": "What a submit without the field gets (roomType and style default to the first preset).",
        "required": ["mode", "aspectRatio", "quality", "variants"],
        "properties": {
          "mode": {"$ref": "#/components/schemas/GenerationMode"},
          "aspectRatio": {"$ref": "#/components/schemas/AspectRatio"},
          "quality": {"$ref": "#/components/schemas/Quality"},
          "variants": {"type": "integer", "description": "The default number of variants, within `limits.maxVariants`.", "minimum": 1, "maximum": 10}
        }
      },
      "ConfigLimits": {
        "type": "object",
        "description": "Limits of a submit.",
        "required": [
          "maxVariants",
          "maxUploadBytes",
          "acceptedMimeTypes",
          "maxMegapixels",
          "minShortEdge",
          "maxPromptLength",
          "requestsPerMinute"
        ],
        "properties": {
          "maxVariants": {
            "type": "integer",
            "description": "The most variants a job may ask for: the runtime config's limit (models that return fewer images per prediction run one prediction per missing variant).",
            "minimum": 1,
            "maximum": 10
          },
          "maxUploadBytes": {"type": "integer", "description": "The largest image file accepted, in bytes."},
          "acceptedMimeTypes": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Image types accepted, sniffed from the bytes (never the declared type): the configured ones this instance can decode. HEIC, HEIF and AVIF uploads are stored as JPEG."
          },
          "maxMegapixels": {"type": "integer", "description": "The largest image accepted, in megapixels."},
          "minShortEdge": {"type": "integer", "description": "The smallest short edge of an image accepted, in pixels."},
          "maxPromptLength": {"type": "integer", "description": "The longest prompt accepted, in characters."},
          "requestsPerMinute": {"type": "integer", "description": "Signed-in requests a minute per user (bursts up to the same number); 0 means no limit.", "minimum": 0}
        }
      },
      "PublicConfig": {
        "type": "object",
        "description": "What a UI needs to draw the create form.",
        "required": [
          "modes",
          "roomTypes",
          "styles",
          "aspectRatios",
          "qualities",
          "defaults",
          "limits",
          "authMode",
          "replicate",
          "model"
        ],
        "properties": {
          "modes": {"type": "array", "items": {"$ref": "#/components/schemas/ConfigMode"}},
          "roomTypes": {"type": "array", "items": {"$ref": "#/components/schemas/Preset"}},
          "styles": {"type": "array", "items": {"$ref": "#/components/schemas/ConfigStyle"}},
          "aspectRatios": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/AspectRatio"},
            "description": "Every ratio some mode offers; each mode lists its own."
          },
          "qualities": {"type": "array", "items": {"$ref": "#/components/schemas/Quality"}, "description": "The tiers the image model can honour."},
          "defaults": {"$ref": "#/components/schemas/ConfigDefaults"},
          "limits": {"$ref": "#/components/schemas/ConfigLimits"},
          "authMode": {
            "type": "string",
            "enum": ["dev", "supabase"],
            "description": "dev: tokens come from `interior token`."
          },
          "replicate": {"type": "string", "enum": ["live", "emulator"]},
          "model": {"$ref": "#/components/schemas/ConfigModel"}
        }
      },
      "PublicConfigEnvelope": {
        "type": "object",
        "description": "`GET /api/v1/config`",
        "required": ["success", "data"],
        "properties": {"success": {"const": true}, "data": {"$ref": "#/components/schemas/PublicConfig"}}
      },
      "Me": {
        "type": "object",
        "description": "The signed-in user.",
        "required": ["id", "planId"],
        "properties": {
          "id": {"type": "string", "format": "uuid", "description": "The user id (the token's `sub`), lower case."},
          "email": {"type": "string", "description": "From the token; absent when it carries none."},
          "planId": {
            "type": "string",
            "description": "The effective plan: the default plan when the profile has none or an unknown one."
          }
        }
      },
      "MeEnvelope": {
        "type": "object",
        "description": "`GET /api/v1/auth/me`",
        "required": ["success", "data"],
        "properties": {"success": {"const": true}, "data": {"$ref": "#/components/schemas/Me"}}
      },
      "DevTokenRequest": {
        "type": "object",
        "description": "Optional: `{}` or no body signs in as the fixed demo user.",
        "properties": {"userId": {"type": ["string", "null"], "format": "uuid", "description": "The user to mint a token for; null or absent: the demo user; any other string than a UUID (the empty string too) is a 400."}}
      },
      "DevToken": {
        "type": "object",
        "required": ["token", "userId", "expiresAt"],
        "properties": {
          "token": {"type": "string", "description": "A bearer access token."},
          "userId": {"type": "string", "format": "uuid"},
          "expiresAt": {"type": "string", "format": "date-time"}
        }
      },
      "DevTokenEnvelope": {
        "type": "object",
        "description": "`POST /api/v1/auth/dev-token`",
        "required": ["success", "data"],
        "properties": {"success": {"const": true}, "data": {"$ref": "#/components/schemas/DevToken"}}
      },
      "Usage": {
        "type": "object",
        "description": "This month's generations (UTC calendar month). Never negative.",
        "required": ["planId", "planLabel", "monthlyAllowance", "used", "remaining", "periodStart", "periodEnd"],
        "properties": {
          "planId": {"type": "string", "description": "e.g. free"},
          "planLabel": {"type": "string", "description": "e.g. Free"},
          "monthlyAllowance": {"type": "integer", "description": "Generations the plan allows per month.", "minimum": 0},
          "used": {
            "type": "integer",
            "description": "Debits and redebits less refunds and credits, at least 0.",
            "minimum": 0
          },
          "remaining": {
            "type": "integer",
            "description": "What can still be submitted this month, at least 0.",
            "minimum": 0
          },
          "periodStart": {"type": "string", "format": "date-time", "description": "Start of the month (inclusive)."},
          "periodEnd": {"type": "string", "format": "date-time", "description": "Start of the next month (exclusive)."}
        }
      },
      "UsageEnvelope": {
        "type": "object",
        "description": "`GET /api/v1/usage`",
        "required": ["success", "data"],
        "properties": {"success": {"const": true}, "data": {"$ref": "#/components/schemas/Usage"}}
      },
      "GenerationSettings": {
        "type": "object",
        "description": "The settings the job runs with, after defaults.",
        "required": ["roomType", "style", "aspectRatio", "quality", "variants"],
        "properties": {
          "roomType": {"type": "string", "description": "A room type id."},
          "style": {"type": "string", "description": "A style id."},
          "aspectRatio": {"$ref": "#/components/schemas/AspectRatio"},
          "quality": {"$ref": "#/components/schemas/Quality"},
          "variants": {"type": "integer", "description": "Images asked for.", "minimum": 1, "maximum": 10}
        }
      },
      "Variant": {
        "type": "object",
        "description": "One stored output image (WebP) and its thumbnail.",
        "required": ["index", "url", "thumbUrl", "width", "height"],
        "properties": {
          "index": {"type": "integer", "description": "0-based.", "minimum": 0},
          "url": {"type": "string", "format": "uri", "description": "Public URL of the WebP image."},
          "thumbUrl": {"type": "string", "format": "uri", "description": "Public URL of the 384 px WebP thumbnail."},
          "width": {"type": "integer", "description": "", "minimum": 1},
          "height": {"type": "integer", "description": "", "minimum": 1}
        }
      },
      "GenerationFailure": {
        "type": "object",
        "description": "Why a job failed or was canceled.",
        "required": ["code", "message"],
        "properties": {
          "code": {
            "type": "string",
            "description": "UPSTREAM_ERROR (Replicate refused to start it), INTERNAL_ERROR (the inputs could not be stored), GENERATION_FAILED (the model failed), NO_OUTPUT (no usable images came back), PREDICTION_LOST (Replicate no longer knew the prediction), TIMEOUT (stopped after the stuck cutoff), CANCELED.",
            "examples": ["UPSTREAM_ERROR", "INTERNAL_ERROR", "GENERATION_FAILED", "NO_OUTPUT", "PREDICTION_LOST", "TIMEOUT", "CANCELED"]
          },
          "message": {
            "type": "string",
            "description": "A normalised sentence for the user (at most 500 characters, no URLs or secrets)."
          }
        }
      },
      "GenerationDTO": {
        "type": "object",
        "description": "A generation job. The submit answer is the summary: id, status, mode, predictionId (once Replicate accepted it), createdAt, settings.",
        "required": ["id", "status", "mode", "createdAt", "settings"],
        "properties": {
          "id": {"type": "string", "format": "uuid", "description": "The job id, lower case."},
          "status": {"$ref": "#/components/schemas/JobStatus"},
          "mode": {"$ref": "#/components/schemas/GenerationMode"},
          "predictionId": {
            "type": "string",
            "description": "Replicate's prediction id; absent until the prediction is created (and on a job that failed to start)."
          },
          "prompt": {"type": "string", "description": "The user's own prompt, sanitised; absent when none was given."},
          "createdAt": {"type": "string", "format": "date-time", "description": ""},
          "completedAt": {"type": "string", "format": "date-time", "description": "Present once the job is terminal."},
          "settings": {"$ref": "#/components/schemas/GenerationSettings"},
          "renderId": {
            "type": "string",
            "format": "uuid",
            "description": "The render holding the images: present when succeeded, in `GET /api/v1/generations/{id}` (list items, submit, retry and cancel answers omit it)."
          },
          "variants": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Variant"},
            "description": "The images: present when succeeded, in `GET /api/v1/generations/{id}` only. May hold fewer than asked for when the model returned fewer."
          },
          "error": {
            "$ref": "#/components/schemas/GenerationFailure",
            "description": "Present when failed or canceled."
          }
        }
      },
      "GenerationEnvelope": {
        "type": "object",
        "description": "One generation job.",
        "required": ["success", "data"],
        "properties": {"success": {"const": true}, "data": {"$ref": "#/components/schemas/GenerationDTO"}}
      },
      "GenerationListDTO": {
        "type": "object",
        "description": "A page of the user's jobs, newest first.",
        "required": ["items"],
        "properties": {
          "items": {"type": "array", "items": {"$ref": "#/components/schemas/GenerationDTO"}},
          "nextCursor": {
            "type": "string",
            "description": "Opaque; pass as `cursor` for the next page. Absent on the last page."
          }
        }
      },
      "GenerationListEnvelope": {
        "type": "object",
        "description": "`GET /api/v1/generations`",
        "required": ["success", "data"],
        "properties": {"success": {"const": true}, "data": {"$ref": "#/components/schemas/GenerationListDTO"}}
      },
      "SubmitForm": {
        "type": "object",
        "description": "A submit as multipart/form-data. Blank fields count as absent. Each field may be sent once; unknown parts are skipped. redesign and staging need input1; compose needs input1 and input2; imagine needs prompt and takes no image. Images must be JPEG, PNG, WebP, HEIC, HEIF or AVIF (sniffed from the bytes; see `limits.acceptedMimeTypes`; HEIF-family photos are stored as JPEG), each at most `limits.maxUploadBytes` (15 MiB by default), at most `limits.maxMegapixels`, with a short edge of at least `limits.minShortEdge` px.",
        "required": ["mode"],
        "properties": {
          "mode": {"$ref": "#/components/schemas/GenerationMode"},
          "prompt": {
            "type": "string",
            "description": "Required for imagine; optional otherwise. At most `limits.maxPromptLength` characters (1000 by default); moderated."
          },
          "roomType": {
            "type": "string",
            "description": "A room type id or label (see `GET /api/v1/config`). Default: the first room type."
          },
          "style": {"type": "string", "description": "A style id or label. Default: the first style."},
          "aspectRatio": {"$ref": "#/components/schemas/AspectRatio", "description": "Default: `match` for photo modes (the config's default), the first ratio the model offers for imagine."},
          "quality": {"$ref": "#/components/schemas/Quality", "description": "Default from config (auto)."},
          "idempotencyKey": {
            "type": "string",
            "format": "uuid",
            "description": "The same as the Idempotency-Key header (send either, or both equal)."
          },
          "variants": {
            "type": "integer",
            "description": "1 to the model's maximum (at most `limits.maxVariants`). Default from config.",
            "minimum": 1,
            "maximum": 10
          },
          "input1": {
            "type": "string",
            "format": "binary",
            "contentMediaType": "application/octet-stream",
            "description": "The room photo."
          },
          "input2": {
            "type": "string",
            "format": "binary",
            "contentMediaType": "application/octet-stream",
            "description": "compose: the reference or object image."
          }
        }
      },
      "SubmitJSON": {
        "type": "object",
        "description": "A submit as JSON (at most 64 KiB): the same fields, with input images named by `input1Url` / `input2Url` instead of files. A field may be a string or, for variants, a number; null counts as absent; other keys are ignored.",
        "required": ["mode"],
        "properties": {
          "mode": {"$ref": "#/components/schemas/GenerationMode"},
          "prompt": {
            "type": "string",
            "description": "Required for imagine; optional otherwise. At most `limits.maxPromptLength` characters (1000 by default); moderated."
          },
          "roomType": {
            "type": "string",
            "description": "A room type id or label (see `GET /api/v1/config`). Default: the first room type."
          },
          "style": {"type": "string", "description": "A style id or label. Default: the first style."},
          "aspectRatio": {"$ref": "#/components/schemas/AspectRatio", "description": "Default: `match` for photo modes (the config's default), the first ratio the model offers for imagine."},
          "quality": {"$ref": "#/components/schemas/Quality", "description": "Default from config (auto)."},
          "idempotencyKey": {
            "type": "string",
            "format": "uuid",
            "description": "The same as the Idempotency-Key header (send either, or both equal)."
          },
          "variants": {
            "type": "integer",
            "minimum": 1,
            "maximum": 10,
            "description": "1 to `limits.maxVariants`. Default from config. (A whole number written as text is read too.)"
          },
          "input1Url": {
            "type": "string",
            "maxLength": 2048,
            "description": "One of the caller's own uploads in this service's private storage: a signed URL this service issued, or the private-bucket path `{ownerId}/inputs/{file}`. Anything else (another host, another user's file) is a VALIDATION_ERROR."
          },
          "input2Url": {"type": "string", "maxLength": 2048, "description": "As input1Url, for compose's second image."}
        }
      },
      "RenderSummaryDTO": {
        "type": "object",
        "description": "A gallery entry.",
        "required": ["id", "jobId", "createdAt", "mode", "roomType", "style"],
        "properties": {
          "id": {"type": "string", "format": "uuid", "description": "The render id."},
          "jobId": {"type": "string", "format": "uuid", "description": "The job that made it."},
          "coverVariantUrl": {
            "type": "string",
            "format": "uri",
            "description": "The cover image; absent if the render has no variants."
          },
          "coverThumbUrl": {
            "type": "string",
            "format": "uri",
            "description": "The cover thumbnail; absent if the render has no variants."
          },
          "createdAt": {"type": "string", "format": "date-time", "description": ""},
          "mode": {"$ref": "#/components/schemas/GenerationMode"},
          "roomType": {"type": "string", "description": "A room type id."},
          "style": {"type": "string", "description": "A style id."}
        }
      },
      "RenderSummaryListDTO": {
        "type": "object",
        "description": "A page of the user's renders, newest first.",
        "required": ["items"],
        "properties": {
          "items": {"type": "array", "items": {"$ref": "#/components/schemas/RenderSummaryDTO"}},
          "nextCursor": {
            "type": "string",
            "description": "Opaque; pass as `cursor` for the next page. Absent on the last page."
          }
        }
      },
      "RenderListEnvelope": {
        "type": "object",
        "description": "`GET /api/v1/renders`",
        "required": ["success", "data"],
        "properties": {"success": {"const": true}, "data": {"$ref": "#/components/schemas/RenderSummaryListDTO"}}
      },
      "RenderDTO": {
        "type": "object",
        "description": "A render with all its variants.",
        "required": ["id", "jobId", "createdAt", "mode", "roomType", "style", "coverVariant", "variants"],
        "properties": {
          "id": {"type": "string", "format": "uuid", "description": "The render id."},
          "jobId": {"type": "string", "format": "uuid", "description": "The job that made it."},
          "createdAt": {"type": "string", "format": "date-time", "description": ""},
          "mode": {"$ref": "#/components/schemas/GenerationMode"},
          "roomType": {"type": "string", "description": "A room type id."},
          "style": {"type": "string", "description": "A style id."},
          "coverVariant": {"type": "integer", "description": "The index of the cover variant.", "minimum": 0},
          "variants": {"type": "array", "items": {"$ref": "#/components/schemas/Variant"}}
        }
      },
      "RenderEnvelope": {
        "type": "object",
        "description": "`GET /api/v1/renders/{id}`",
        "required": ["success", "data"],
        "properties": {"success": {"const": true}, "data": {"$ref": "#/components/schemas/RenderDTO"}}
      },
      "RenderDeleted": {
        "type": "object",
        "description": "The render is gone: its rows are soft-deleted and its image and thumbnail objects removed, so its URLs answer 404.",
        "required": ["id", "deleted"],
        "properties": {
          "id": {"type": "string", "format": "uuid", "description": "The render id."},
          "deleted": {"const": true}
        }
      },
      "RenderDeletedEnvelope": {
        "type": "object",
        "description": "`DELETE /api/v1/renders/{id}`",
        "required": ["success", "data"],
        "properties": {"success": {"const": true}, "data": {"$ref": "#/components/schemas/RenderDeleted"}}
      },
      "PredictionStatus": {"type": "string", "enum": ["starting", "processing", "succeeded", "failed", "canceled", "aborted"]},
      "ReplicatePrediction": {
        "type": "object",
        "description": "A prediction as Replicate sends it (the body of its webhook). Fields Replicate adds later are ignored. A signed body that is not a prediction is still recorded (and later marked dead with the reason), so nothing Replicate sends is lost.",
        "required": ["id", "status"],
        "properties": {
          "id": {"type": "string", "description": "The prediction id."},
          "model": {"type": "string", "description": "`owner/name`."},
          "version": {"type": ["string", "null"]},
          "status": {"$ref": "#/components/schemas/PredictionStatus"},
          "input": {"description": "The input the prediction was created with."},
          "output": {"description": "The output files: a list of URLs, a single URL, or null."},
          "error": {"description": "Why it failed: usually a string, else any JSON; null otherwise."},
          "logs": {"type": ["string", "null"]},
          "metrics": {"type": "object", "description": "e.g. predict_time (seconds)."},
          "urls": {
            "type": "object",
            "properties": {
              "get": {"type": "string"},
              "cancel": {"type": "string"},
              "stream": {"type": "string"},
              "web": {"type": "string"}
            }
          },
          "created_at": {"type": ["string", "null"], "description": "ISO 8601."},
          "started_at": {"type": ["string", "null"], "description": "ISO 8601."},
          "completed_at": {"type": ["string", "null"], "description": "ISO 8601."},
          "data_removed": {"type": "boolean"}
        }
      }
    },
    "parameters": {
      "X-Request-Id": {
        "name": "X-Request-Id",
        "in": "header",
        "required": false,
        "description": "A client's id for the request, echoed in the response and logged. Used only when it is 1–128 characters of letters, digits, `-`, `_` and `.`; anything else is replaced by a fresh id.",
        "schema": {"type": "string"}
      },
      "Idempotency-Key": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": false,
        "description": "A UUID naming this submit. The same key with the same request returns the original job (202, `Idempotent-Replayed: true`) and charges nothing; with a different request it is 422 IDEMPOTENCY_KEY_REUSED. Not a UUID: 400 VALIDATION_ERROR.",
        "schema": {"type": "string", "format": "uuid"}
      },
      "JobId": {
        "name": "id",
        "in": "path",
        "required": true,
        "description": "The job id. An id that is not a UUID, unknown, or another user's answers 404.",
        "schema": {"type": "string", "format": "uuid"}
      },
      "RenderId": {
        "name": "id",
        "in": "path",
        "required": true,
        "description": "The render id. An id that is not a UUID, unknown, deleted, or another user's answers 404.",
        "schema": {"type": "string", "format": "uuid"}
      },
      "Cursor": {
        "name": "cursor",
        "in": "query",
        "required": false,
        "description": "The `nextCursor` of the previous page (opaque; do not build one). Empty means the first page; anything that is not a cursor is a 400 (the served document states the shape as a pattern).",
        "schema": {"type": "string"}
      },
      "GenerationsLimit": {
        "name": "limit",
        "in": "query",
        "required": false,
        "description": "Page size, 1–100; anything else is a 400.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
      },
      "RendersLimit": {
        "name": "limit",
        "in": "query",
        "required": false,
        "description": "Page size, 1–100; anything else is a 400.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 24}
      },
      "ModeFilter": {
        "name": "mode",
        "in": "query",
        "required": false,
        "description": "Only renders of this mode (case-insensitive). Empty means any.",
        "schema": {"$ref": "#/components/schemas/GenerationMode"}
      },
      "RoomTypeFilter": {
        "name": "roomType",
        "in": "query",
        "required": false,
        "description": "Only renders of this room type (id or label, case-insensitive). Empty means any; an unknown one is a 400.",
        "schema": {"type": "string"}
      },
      "StyleFilter": {
        "name": "style",
        "in": "query",
        "required": false,
        "description": "Only renders of this style (id or label, case-insensitive). Empty means any; an unknown one is a 400.",
        "schema": {"type": "string"}
      },
      "Bucket": {
        "name": "bucket",
        "in": "path",
        "required": true,
        "description": "The bucket name.",
        "schema": {"type": "string"}
      },
      "ObjectPath": {
        "name": "path",
        "in": "path",
        "required": true,
        "description": "The object's path inside the bucket; it spans several path segments (e.g. `renders/{renderId}/0.webp`). Traversal (`..`), empty segments and control characters answer 404.",
        "schema": {"type": "string"}
      },
      "If-None-Match": {
        "name": "If-None-Match",
        "in": "header",
        "required": false,
        "description": "An ETag from an earlier answer (or `*`): when it matches, the answer is 304 with no body.",
        "schema": {"type": "string"}
      }
    },
    "headers": {
      "X-Request-Id": {
        "description": "The id this request was logged under: the client's X-Request-Id when it was sane, else a fresh one.",
        "schema": {"type": "string"}
      },
      "WWW-Authenticate": {"description": "`Bearer`.", "schema": {"type": "string"}},
      "Idempotent-Replayed": {
        "description": "`true` when the answer is the original job of a repeated idempotency key (nothing new was created or charged).",
        "schema": {"type": "string", "enum": ["true"]}
      },
      "ETag": {"description": "The object's entity tag (quoted).", "schema": {"type": "string"}},
      "Cache-Control": {
        "description": "Public objects: `public, max-age=3600`; signed objects: `private, max-age=60`.",
        "schema": {"type": "string"}
      },
      "Last-Modified": {"description": "When the object was stored (HTTP date).", "schema": {"type": "string"}}
    },
    "responses": {
      "RateLimited": {
        "description": "RATE_LIMITED: more requests than the user's rate (`limits.requestsPerMinute`, bursts up to the same number), or, for a submit, more of the user's bodies arriving at once than `limits.maxBodyBytesInFlightPerUser`. Wait `Retry-After` seconds.",
        "headers": {
          "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
          "Retry-After": {"description": "Seconds until a request is admitted again.", "schema": {"type": "string", "pattern": "^[0-9]+$"}}
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorEnvelope",
              "properties": {"error": {"properties": {"code": {"enum": ["RATE_LIMITED"]}}}}
            }
          }
        }
      },
      "Unauthorized": {
        "description": "UNAUTHORIZED: the bearer token is missing, invalid or expired.",
        "headers": {
          "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
          "WWW-Authenticate": {"$ref": "#/components/headers/WWW-Authenticate"}
        },
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorEnvelope",
              "properties": {"error": {"properties": {"code": {"enum": ["UNAUTHORIZED"]}}}}
            }
          }
        }
      },
      "InternalError": {
        "description": "INTERNAL_ERROR: anything unexpected (a database or storage failure). The message is generic; the cause is logged under the request id.",
        "headers": {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}},
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/ErrorEnvelope",
              "properties": {"error": {"properties": {"code": {"enum": ["INTERNAL_ERROR"]}}}}
            }
          }
        }
      }
    }
  }
}
"""#
}
