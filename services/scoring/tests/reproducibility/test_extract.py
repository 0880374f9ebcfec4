"""Demo-code extraction from realistic model cards."""

from __future__ import annotations

import ast

import pytest

from registry_scoring.reproducibility.extract import (
    extract_demo_code,
    iter_code_blocks,
    normalise_block,
)
from tests.fakes.fixtures import TABLE
from tests.fakes.hub_content import render_readme

PIPELINE_CARD = """\
---
license: apache-2.0
tags:
- fill-mask
---

# DistilRoBERTa base

A distilled version of RoBERTa.

## Installation

```bash
pip install transformers torch
```

## How to use

You can use this model directly with a pipeline for masked language modeling:

```python
>>> from transformers import pipeline
>>> unmasker = pipeline('fill-mask', model='distilroberta-base')
>>> unmasker("Hello I'm a <mask> model.")
[{'score': 0.0846, 'token': 265, 'token_str': ' business',
  'sequence': "Hello I'm a business model."},
 {'score': 0.0523, 'token': 6436, 'token_str': ' freelance',
  'sequence': "Hello I'm a freelance model."}]
```

Here is how to use this model to get the features of a given text in PyTorch:

```python
from transformers import RobertaTokenizer, RobertaModel
tokenizer = RobertaTokenizer.from_pretrained('distilroberta-base')
model = RobertaModel.from_pretrained('distilroberta-base')
encoded_input = tokenizer("Replace me by any text you'd like.", return_tensors='pt')
output = model(**encoded_input)
```

and in TensorFlow:

```python
from transformers import RobertaTokenizer, TFRobertaModel
tokenizer = RobertaTokenizer.from_pretrained('distilroberta-base')
model = TFRobertaModel.from_pretrained('distilroberta-base')
encoded_input = tokenizer("Replace me by any text you'd like.", return_tensors='tf')
output = model(encoded_input)
```

## Citation

```bibtex
@article{Sanh2019DistilBERTAD,
  title={DistilBERT},
  author={Victor Sanh},
  year={2019}
}
```
"""

DOCTEST_CARD = """\
# Sentiment model

## Example

```
>>> from transformers import pipeline
>>> classifier = pipeline("sentiment-analysis", model="acme/sentiment")
>>> for result in classifier(["I love it", "I hate it"]):
...     print(result["label"])
POSITIVE
NEGATIVE
>>> classifier.model.config.id2label
{0: 'NEGATIVE', 1: 'POSITIVE'}
```
"""

PIP_ONLY_CARD = """\
# Some model

## Usage

Install the dependencies first:

```
pip install -U sentence-transformers
```

```shell
$ python -m acme.serve --port 8080
```

Then call the service with curl.
"""

NO_CODE_CARD = """\
# Model Card for Model ID

This model card has been automatically generated.

## How to Get Started with the Model

Use the code below to get started with the model.

[More Information Needed]
"""

MULTI_SECTION_CARD = """\
# acme/tiny-classifier

## Training

```python
from transformers import Trainer, TrainingArguments
args = TrainingArguments(output_dir="out", num_train_epochs=3)
trainer = Trainer(model=model, args=args, train_dataset=train)
trainer.train()
```

## Usage

Load the model:

```python
from transformers import AutoTokenizer, AutoModelForSequenceClassification
tokenizer = AutoTokenizer.from_pretrained("acme/tiny-classifier")
model = AutoModelForSequenceClassification.from_pretrained("acme/tiny-classifier")
```

The output looks like this:

```python
{'label': 'technical', 'score': 0.97}
```

Then classify:

```python
inputs = tokenizer("Quarterly revenue grew by 4%", return_tensors="pt")
logits = model(**inputs).logits
print(logits.argmax(-1))
```

Or with a pipeline, on its own:

```python
from transformers import pipeline
print(pipeline("text-classification", model="acme/tiny-classifier")("hi"))
```

## Evaluation

```json
{"accuracy": 0.91, "f1": 0.89}
```
"""

NOTEBOOK_CARD = """\
# Whisper fine-tune

Quick start
-----------

```python
!pip install transformers datasets
%matplotlib inline
import json
print(json.dumps({"ok": True}))
```
"""


def test_pipeline_card_prefers_the_how_to_use_section_and_strips_doctest_output() -> None:
    program = extract_demo_code(PIPELINE_CARD)
    assert program is not None
    assert program.splitlines() == [
        "from transformers import pipeline",
        "unmasker = pipeline('fill-mask', model='distilroberta-base')",
        'unmasker("Hello I\'m a <mask> model.")',
    ]


def test_independent_alternatives_of_a_section_are_not_concatenated() -> None:
    program = extract_demo_code(PIPELINE_CARD)
    assert program is not None
    assert "TFRobertaModel" not in program  # the TensorFlow alternative redefines everything
    assert "RobertaModel.from_pretrained" not in program


def test_doctest_card_keeps_prompted_code_only() -> None:
    program = extract_demo_code(DOCTEST_CARD)
    assert program is not None
    ast.parse(program)
    assert "POSITIVE\n" not in program
    assert "{0: 'NEGATIVE'" not in program
    assert "for result in classifier" in program
    assert '    print(result["label"])' in program
    assert program.rstrip().endswith("classifier.model.config.id2label")


@pytest.mark.parametrize("card", [PIP_ONLY_CARD, NO_CODE_CARD, "", "   \n", None])
def test_cards_without_runnable_python_have_no_demo(card: str | None) -> None:
    assert extract_demo_code(card) is None


def test_multi_section_card_concatenates_related_usage_blocks() -> None:
    program = extract_demo_code(MULTI_SECTION_CARD)
    assert program is not None
    assert "TrainingArguments" not in program  # training section is not the demo
    assert "from_pretrained" in program  # load block
    assert "logits.argmax" in program  # uses `tokenizer` and `model`: appended
    assert "'score': 0.97" not in program  # an output block is skipped
    assert "pipeline(" not in program  # an independent alternative is not appended
    assert "accuracy" not in program
    ast.parse(program)


def test_notebook_lines_become_pass_and_setext_heading_counts() -> None:
    program = extract_demo_code(NOTEBOOK_CARD)
    assert program is not None
    assert program.splitlines() == [
        "pass",
        "pass",
        "import json",
        'print(json.dumps({"ok": True}))',
    ]


def test_untagged_block_that_parses_as_usage_is_taken_and_json_is_not() -> None:
    card = (
        '# M\n\n## Output\n\n```\n{"label": "x"}\n```\n\n'
        "## Usage\n\n```\nimport json\nprint(json.dumps([1]))\n```\n"
    )
    assert extract_demo_code(card) == "import json\nprint(json.dumps([1]))\n"


def test_yaml_front_matter_and_yaml_blocks_are_not_code() -> None:
    card = "---\nlicense: mit\n---\n\n# M\n\n```yaml\nmodel: foo\nrun: bar()\n```\n"
    assert extract_demo_code(card) is None


def test_shell_lines_inside_a_python_block_are_dropped_when_they_break_parsing() -> None:
    card = "## Usage\n\n```python\npip install acme\nimport acme\nacme.run()\n```\n"
    assert extract_demo_code(card) == "import acme\nacme.run()\n"


def test_broken_python_block_is_returned_when_nothing_else_exists() -> None:
    card = "## Usage\n\n```python\nfrom acme import Model\nmodel = Model(\n```\n"
    program = extract_demo_code(card)
    assert program is not None
    assert "Model(" in program


def test_fences_tilde_longer_and_indented_in_lists() -> None:
    card = (
        "# M\n\n1. Load it:\n\n   ```py\n   import os\n   print(os.sep)\n   ```\n\n"
        "~~~~markdown\n```python\nimport nothing\n```\n~~~~\n"
    )
    blocks = iter_code_blocks(card)
    assert [b.lang for b in blocks] == ["py", "markdown"]
    assert blocks[0].text == "import os\nprint(os.sep)\n"
    assert "```python" in blocks[1].text  # the inner fence is content, not a block
    assert extract_demo_code(card) == "import os\nprint(os.sep)\n"


def test_headings_are_tracked_as_a_path() -> None:
    card = (
        "# Top\n\n## Usage\n\n### PyTorch\n\n```python\nf()\n```\n\n"
        "<h2>Other</h2>\n\n```py\ng()\n```\n"
    )
    first, second = iter_code_blocks(card)
    assert first.headings == ("Top", "Usage", "PyTorch")
    assert second.headings == ("Top", "Other")
    assert first.section != second.section


def test_usage_heading_beats_earlier_code() -> None:
    card = (
        "# M\n\n## Background\n\n```python\nimport math\nprint(math.pi)\n```\n\n"
        "## Quick start\n\n```python\nimport os\nprint(os.getcwd())\n```\n"
    )
    assert extract_demo_code(card) == "import os\nprint(os.getcwd())\n"


def test_ipython_transcript() -> None:
    card = "```ipython\nIn [1]: import math\n\nIn [2]: math.sqrt(4)\nOut[2]: 2.0\n```\n"
    assert extract_demo_code(card) == "import math\nmath.sqrt(4)\n"


def test_python_tagged_output_is_skipped() -> None:
    block = iter_code_blocks("```python\n[{'score': 0.9, 'label': 'POSITIVE'}]\n```\n")[0]
    assert normalise_block(block) is None


def test_fixture_cards_of_the_fake_hub() -> None:
    bert = extract_demo_code(render_readme(TABLE.hub_repo("google-bert/bert-base-uncased")))
    assert bert == (
        "from transformers import pipeline\n\n"
        'unmasker = pipeline("fill-mask", model="google-bert/bert-base-uncased")\n'
        'print(unmasker("Hello I\'m a [MASK] model."))\n'
    )
    whisper = extract_demo_code(render_readme(TABLE.hub_repo("openai/whisper-tiny")))
    assert whisper is not None
    assert "WhisperProcessor.from_pretrained" in whisper
    assert (
        extract_demo_code(render_readme(TABLE.hub_repo("parvk11/audience_classifier_model")))
        is None
    )
