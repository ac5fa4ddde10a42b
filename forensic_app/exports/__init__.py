"""Evidence that travels: an analysis' regions and a case's annotations as an Audacity label track, a Sonic
Visualiser layer file and JAMS; Audacity labels read back into a case. Headless (no Qt); above core and case.

    regions.py            Region; result_regions(result), annotation_regions(annotations)
    audacity.py           format/write/parse/read Audacity labels (with the frequency line)
    sonic_visualiser.py   svl_document / write_svl: a regions layer and a boxes layer
    jams_export.py        jams_document / write_jams (validated with the jams package)
    case_labels.py        export_regions(...) for a result or a case lane; import_audacity_labels(case, path)
    command.py            `forensic-app export` and `forensic-app import-labels`
"""
