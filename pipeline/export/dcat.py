"""The catalogue for harvesters: ``data.json`` as DCAT-AP 3 JSON-LD.

Why DCAT-AP JSON-LD rather than Project Open Data 1.1 (DCAT-US): DCAT-AP
carries what this catalogue must say natively: byte sizes (dcat:byteSize)
and SHA-256 checksums (spdx:checksum) of every distribution, and Chinese text
as language-tagged literals; POD 1.1 has no checksum field and requires US
federal fields (bureauCode, programCode) that mean nothing here. JSON-LD is
RDF, so any DCAT harvester (CKAN's ckanext-dcat, the European data portal,
rdflib) reads it. IRIs are relative to data.json at the site root, so the
file is correct wherever the site is served.
"""

from __future__ import annotations

import json

from pipeline.export.manifest import Download
from pipeline.core.package import DataPackage

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
IANA = "https://www.iana.org/assignments/media-types/"


def zh(text: str) -> dict:
    return {"@language": "zh", "@value": text}


def _date(value: str) -> dict:
    return {"@type": "xsd:date", "@value": value}


def distribution(item: Download, licence: dict | None) -> dict:
    href = item.url or item.path  # hosted elsewhere, or relative to the site root, where data.json lives
    result = {
        "@id": f"{href}#distribution",
        "@type": "dcat:Distribution",
        "dct:title": zh(item.label),
        "dcat:accessURL": {"@id": href},
        "dcat:downloadURL": {"@id": href},
        "dcat:mediaType": {"@id": IANA + item.media_type},
        "dcat:byteSize": {"@type": "xsd:nonNegativeInteger", "@value": str(item.bytes)},
        "spdx:checksum": {"@type": "spdx:Checksum",
                          "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                          "spdx:checksumValue": {"@type": "xsd:hexBinary", "@value": item.sha256}},
    }
    if licence:
        result["dct:license"] = licence
    return result


def catalogue(package: DataPackage, downloads: list[Download]) -> dict:
    descriptor = package.descriptor
    as_of = package.as_of.isoformat()
    licence_spec = (descriptor.get("licenses") or [{}])[0]
    licence = {"@id": licence_spec["path"], "dct:identifier": licence_spec.get("name", "")} \
        if licence_spec.get("path") else None
    publisher = {"@type": "foaf:Agent", "foaf:name": zh(descriptor.get("title") or descriptor.get("name", ""))}
    keywords = [zh(k) for k in descriptor.get("keywords", [])]
    name = descriptor.get("name", "data")
    common = {"dct:publisher": publisher, "dct:modified": _date(as_of), "dcat:keyword": keywords,
              "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/ZHO"}}
    if licence:
        common["dct:license"] = licence
    datasets = []
    whole = [d for d in downloads if d.resource is None]
    datasets.append({
        "@id": f"#{name}", "@type": "dcat:Dataset", "dct:identifier": name,
        "dct:title": zh(descriptor.get("title", name)), "dct:description": zh(descriptor.get("description", "")),
        "dcat:landingPage": {"@id": "data/"}, **common,
        "dct:hasPart": [{"@id": f"#{res}"} for res in package.resource_names],
        "dcat:distribution": [distribution(d, licence) for d in whole],
    })
    for res in package.descriptor["resources"]:
        files = [d for d in downloads if d.resource == res["name"] and d.format != "source"]
        datasets.append({
            "@id": f"#{res['name']}", "@type": "dcat:Dataset", "dct:identifier": f"{name}/{res['name']}",
            "dct:title": zh(res.get("title", res["name"])), "dct:description": zh(res.get("description", "")),
            "dcat:landingPage": {"@id": f"data/dictionary/{res['name']}/"}, "dct:isPartOf": {"@id": f"#{name}"},
            **common, "dcat:distribution": [distribution(d, licence) for d in files],
        })
    return {
        "@context": CONTEXT, "@id": "", "@type": "dcat:Catalog",
        "dct:title": zh(descriptor.get("title", name)), "dct:description": zh(descriptor.get("description", "")),
        "dct:publisher": publisher, "dct:modified": _date(as_of),
        **({"dct:license": licence} if licence else {}),
        "dcat:dataset": datasets,
    }


def catalogue_json(package: DataPackage, downloads: list[Download]) -> str:
    return json.dumps(catalogue(package, downloads), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
