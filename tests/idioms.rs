//! Detection across the idioms people really write, as a table: a file, its
//! text (fake keys are `{{alnum:64}}`-style templates expanded at run time),
//! and the `line:rule` findings expected. Negatives expect nothing.

mod common;

use common::*;
use keyhound::rules::examples::expand;

struct Case {
    file: &'static str,
    text: &'static str,
    expect: &'static [(u64, &'static str)],
}

const POSITIVE: &[Case] = &[
    Case {
        file: "notebook.ipynb",
        text: r#"{"cells": [{"cell_type": "code", "source": [
    "from binance.client import Client\n",
    "api_key = \"{{alnum:64}}\"\n",
    "api_secret = \"{{alnum:64}}\"\n"
   ]}]}"#,
        expect: &[(3, "binance-api-key"), (4, "binance-secret-key")],
    },
    Case {
        file: "docker-compose.yml",
        text: "services:\n  bot:\n    image: trader\n    environment:\n      - BINANCE_API_KEY={{alnum:64}}\n      - BINANCE_API_SECRET={{alnum:64}}\n",
        expect: &[(5, "binance-api-key"), (6, "binance-secret-key")],
    },
    Case {
        file: "deploy.yaml",
        text: "spec:\n  containers:\n  - name: bot\n    env:\n    - name: BINANCE_API_KEY\n      value: \"{{alnum:64}}\"\n",
        expect: &[(6, "binance-api-key")],
    },
    Case {
        file: "secret.yaml",
        text: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: binance\nstringData:\n  BINANCE_SECRET_KEY: {{alnum:64}}\n",
        expect: &[(6, "binance-secret-key")],
    },
    Case {
        file: "user.cfg",
        text: "[binance_user_config]\napi_key={{alnum:64}}\napi_secret_key={{alnum:64}}\ncurrent_coin=BTC\n",
        expect: &[(2, "binance-api-key"), (3, "binance-secret-key")],
    },
    Case {
        file: "main.tf",
        text: "variable \"binance_api_secret\" {\n  type      = string\n  sensitive = true\n  default   = \"{{alnum:64}}\"\n}\n",
        expect: &[(4, "binance-api-credential")],
    },
    Case {
        file: "terraform.tfvars",
        text: "binance_api_key = \"{{alnum:64}}\"\n",
        expect: &[(1, "binance-api-key")],
    },
    Case {
        file: "NOTES.md",
        text: "# Binance bot\n\n| field | value |\n|---|---|\n| API key | `{{alnum:64}}` |\n\n```python\nclient = Client(\"{{alnum:64}}\", \"{{alnum:64}}\")\n```\n",
        expect: &[
            (5, "binance-api-key"),
            (8, "binance-api-key"),
            (8, "binance-secret-key"),
        ],
    },
    Case {
        file: "app.min.js",
        text: "!function(e){var t={};function n(r){return t[r]}n.m=e}([]);var ex=new ccxt.binance({apiKey:\"{{alnum:64}}\",secret:\"{{alnum:64}}\",enableRateLimit:!0});console.log(ex.id);",
        expect: &[(1, "binance-api-key"), (1, "binance-secret-key")],
    },
    Case {
        file: "call.sh",
        text: "curl -s -H \"X-MBX-APIKEY: {{alnum:64}}\" \"https://api.binance.com/api/v3/account?timestamp=1\"\n",
        expect: &[(1, "binance-api-key")],
    },
    Case {
        file: "config.py",
        text: "import binance\n# old key, do not use:\n# API_SECRET = '{{alnum:64}}'\n",
        expect: &[(3, "binance-secret-key")],
    },
    Case {
        file: "bot.php",
        text: "<?php\n$api = new Binance\\API(\"{{alnum:64}}\", \"{{alnum:64}}\");\n",
        expect: &[(2, "binance-api-key"), (2, "binance-secret-key")],
    },
    Case {
        file: "Program.cs",
        text: "var client = new BinanceRestClient(o => {\n    o.ApiCredentials = new ApiCredentials(\"{{alnum:64}}\", \"{{alnum:64}}\");\n});\n",
        expect: &[(2, "binance-api-key"), (2, "binance-secret-key")],
    },
    Case {
        file: "bot.rb",
        text: "client = Binance::Spot.new(key: '{{alnum:64}}', secret: '{{alnum:64}}')\n",
        expect: &[(1, "binance-api-key"), (1, "binance-secret-key")],
    },
    Case {
        file: "setup.ps1",
        text: "# binance\n$env:BINANCE_API_KEY = \"{{alnum:64}}\"\n",
        expect: &[(2, "binance-api-key")],
    },
    Case {
        file: "app.config",
        text: "<appSettings>\n  <add key=\"BinanceApiKey\" value=\"{{alnum:64}}\" />\n  <add key=\"BinanceApiSecret\" value=\"{{alnum:64}}\" />\n</appSettings>\n",
        expect: &[(2, "binance-api-key"), (3, "binance-secret-key")],
    },
    Case {
        file: "config.json",
        text: "{\n  \"exchange\": {\n    \"name\": \"binance\",\n    \"key\": \"{{alnum:64}}\",\n    \"secret\": \"{{alnum:64}}\"\n  }\n}\n",
        expect: &[(4, "binance-api-key"), (5, "binance-secret-key")],
    },
    Case {
        file: "crlf.env",
        text: "# binance\r\nBINANCE_API_KEY={{alnum:64}}\r\nBINANCE_API_SECRET={{alnum:64}}\r\n",
        expect: &[(2, "binance-api-key"), (3, "binance-secret-key")],
    },
    Case {
        file: "keys.json",
        text: "{\"binance\": {\"apiKey\": \"{{alnum:64}}\", \"privateKey\": \"-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEI{{b64:43}}\\n-----END PRIVATE KEY-----\\n\"}}\n",
        expect: &[(1, "binance-api-key"), (1, "private-key-ed25519")],
    },
    Case {
        file: "signer.py",
        text: "PRIVATE_KEY = (\n    \"-----BEGIN PRIVATE KEY-----\\n\"\n    \"MC4CAQAwBQYDK2VwBCIEI{{b64:43}}\\n\"\n    \"-----END PRIVATE KEY-----\\n\"\n)\n",
        expect: &[(3, "private-key-ed25519")],
    },
    Case {
        file: "okx.py",
        text: "exchange = ccxt.okx({\n    'apiKey': '{{uuid}}',\n    'secret': '{{HEX:32}}',\n    'password': 'MyPassphrase1',\n})\n",
        expect: &[(2, "okx-api-key"), (3, "okx-secret-key")],
    },
    Case {
        file: ".env.production",
        text: "AWS_ACCESS_KEY_ID=AKIA{{upper:16}}\nAWS_SECRET_ACCESS_KEY={{b64:40}}\nGITHUB_TOKEN=ghp_{{alnum:36}}\nTELEGRAM_TOKEN={{digits:10}}:AA{{b64url:33}}\n",
        expect: &[
            (1, "aws-access-key-id"),
            (2, "aws-secret-access-key"),
            (3, "github-token"),
            (4, "telegram-bot-token"),
        ],
    },
];

const NEGATIVE: &[Case] = &[
    Case {
        file: "bot_env.py",
        text: "import os\nfrom binance.client import Client\napi_key = os.environ['BINANCE_API_KEY']\napi_secret = os.getenv('BINANCE_API_SECRET')\nclient = Client(api_key, api_secret)\n",
        expect: &[],
    },
    Case {
        file: "docker-compose.yml",
        text: "services:\n  bot:\n    environment:\n      - BINANCE_API_KEY=${BINANCE_API_KEY}\n      BINANCE_API_SECRET: \"{{ binance_secret }}\"\n",
        expect: &[],
    },
    Case {
        file: "ws.py",
        text: "# binance user data stream\nurl = 'wss://stream.binance.com:9443/ws/{{alnum:64}}'\nresp = {\"listenKey\": \"{{alnum:60}}\"}\n",
        expect: &[],
    },
    Case {
        file: "order.json",
        text: "{\"symbol\": \"BTCUSDT\", \"orderId\": 28, \"clientOrderId\": \"{{alnum:64}}\", \"exchange\": \"binance\"}\n",
        expect: &[],
    },
    Case {
        file: "sign.md",
        text: "Binance signature example:\n\n`signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71`\n\n| apiKey | vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A |\n",
        expect: &[],
    },
    Case {
        file: "pub.pem",
        text: "# binance API key registration\n-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA{{alnum:20}}\n{{alnum:64}}\n-----END PUBLIC KEY-----\n",
        expect: &[],
    },
    Case {
        file: "secrets.enc.yaml",
        text: "binance:\n  api_key: ENC[AES256_GCM,data:{{b64:88}},iv:{{b64:24}},tag:{{b64:24}},type:str]\n",
        expect: &[],
    },
    Case {
        file: "requirements.txt",
        text: "python-binance==1.0.19 \\\n    --hash=sha256:{{hex:64}}\n",
        expect: &[],
    },
    Case {
        file: "alphabet.py",
        text: "# binance base62\nALPHABET = \"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\"\nKEY = 'AB1C2defGHijkLMNo3PqQRstUvwxyzaBCDEfghh4ijklMN5opqrStuVWxyzAbCDEfg'\n",
        expect: &[],
    },
    Case {
        file: "placeholder.env",
        text: "BINANCE_API_KEY=your_binance_api_key_here\nBINANCE_API_SECRET=<YOUR_SECRET>\nBINANCE_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
        expect: &[],
    },
    Case {
        file: "ids.py",
        text: "request_id = \"{{uuid}}\"\ncache_key = \"{{hex:64}}\"\nTX = \"0x{{hex:64}}\"\n",
        expect: &[],
    },
];

fn check(cases: &[Case]) {
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let text = expand(case.text, &mut Fake::from_str_seed(&format!("idiom-{i}")));
        let dir = tree(&[(case.file, &text)]);
        let (_, doc) = scan_json(dir.path(), &[]);
        let got: Vec<(u64, String)> = summary(&doc).into_iter().map(|(_, l, r)| (l, r)).collect();
        let want: Vec<(u64, String)> = case
            .expect
            .iter()
            .map(|&(l, r)| (l, r.to_string()))
            .collect();
        if got != want {
            failures.push(format!(
                "{}: expected {want:?}, got {got:?}\n{text}",
                case.file
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn secrets_are_found_in_every_idiom() {
    check(POSITIVE);
}

#[test]
fn look_alikes_are_not_reported() {
    check(NEGATIVE);
}

#[test]
fn issue8_15_a_token_near_an_exchange_name_is_not_an_exchange_credential() {
    // Broke: freqtrade's CI holds a Coveralls token two steps before one
    // that copies `config_bittrex.json.example`; within 8 lines of
    // "bittrex", the token was labelled a crypto-exchange credential. The
    // exchange must be about the value: on its line, in its section or
    // object.
    let token = Fake::from_str_seed("coveralls").alnum(33);
    let ci = format!(
        "name: CI\njobs:\n  build:\n    steps:\n    - name: Tests\n      run: pytest\n\n    - name: Coveralls\n      env:\n        # Coveralls token. Not used as secret due to github not providing secrets to forked repositories\n        COVERALLS_REPO_TOKEN: {token}\n      run: |\n        # Allow failure for coveralls\n        coveralls || true\n\n    - name: Backtesting\n      run: |\n        cp config_bittrex.json.example config.json\n        freqtrade create-userdir --userdir user_data\n"
    );
    let dir = tree(&[(".github/workflows/ci.yml", &ci)]);
    let (_, doc) = scan_json(dir.path(), &[]);
    assert_eq!(
        summary(&doc),
        [(
            ".github/workflows/ci.yml".to_string(),
            11,
            "generic-secret".to_string()
        )]
    );
    // The same value in the exchange's own section still is one.
    let config = format!("[bittrex]\nenabled = true\napi_key = {token}\n");
    let dir = tree(&[("bot.ini", &config)]);
    let (_, doc) = scan_json(dir.path(), &[]);
    assert_eq!(
        summary(&doc),
        [(
            "bot.ini".to_string(),
            3,
            "exchange-api-credential".to_string()
        )]
    );
}
