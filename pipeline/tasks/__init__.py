"""Luigi tasks (thin: parameters, requires, output, run calling pipeline/ logic).

``luigi --module pipeline.tasks BuildCorpus --local-scheduler`` runs everything.
"""
from pipeline.tasks.base import PipelineSettings
from pipeline.tasks.corpus import BuildCorpus, ExportCorpus, PublishCorpus
from pipeline.tasks.document import (
    DetectLanguages,
    IngestDocument,
    RepairSource,
    RepairTranslations,
    SegmentDocument,
    TranslateSegments,
)

__all__ = [
    "PipelineSettings", "BuildCorpus", "ExportCorpus", "PublishCorpus", "IngestDocument", "SegmentDocument",
    "DetectLanguages", "RepairSource", "TranslateSegments", "RepairTranslations",
]
