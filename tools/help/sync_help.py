#!/usr/bin/env python3
"""Rebuilds the syntax and parameter sections of en-US/PureBoot.dll-Help.xml from the cmdlets themselves.

The prose (synopsis, description, examples, notes, links) and every parameter's description stay as written in the
file; what can drift from the code (parameter sets, types, positions, pipeline input, aliases, wildcards, enum
values) is rewritten from the metadata Export-CmdletMetadata.ps1 dumps, so Get-Help shows every parameter's type.
Hidden parameters (DontShow: typed pipeline binding) are documented but left out of the syntax.
A parameter with no description yet takes the one another cmdlet gives a parameter of the same name, else the one in
--descriptions (JSON {"Cmdlet": {"Parameter": "text"}}); with neither, the script stops and names it.

    python3 tools/help/sync_help.py META.json [--descriptions extra.json]
"""
import json, re, sys, html
import xml.etree.ElementTree as ET

HELP = 'en-US/PureBoot.dll-Help.xml'
NS = {'maml': 'http://schemas.microsoft.com/maml/2004/10', 'command': 'http://schemas.microsoft.com/maml/dev/command/2004/10',
      'dev': 'http://schemas.microsoft.com/maml/dev/2004/10'}
DECL = ' '.join(f'xmlns:{k}="{v}"' for k, v in NS.items())
for _prefix, _uri in NS.items(): ET.register_namespace(_prefix, _uri)
COMMON = {
    'WhatIf': ('Shows what would happen if the cmdlet runs. The cmdlet is not run: nothing is sent to any backend and nothing is written.', ['wi']),
    'Confirm': ('Prompts you for confirmation before running the cmdlet.', ['cf']),
}


def esc(t):
    return html.escape(t, quote=False)


def paras(desc_el):
    return [ET.tostring(p, encoding='unicode') for p in desc_el.findall('maml:para', NS)] if desc_el is not None else []


def read_block(block):
    root = ET.fromstring(block.replace('<command:command ', f'<command:command {DECL} ', 1) if 'xmlns:maml' not in block.split('>', 1)[0] else block)
    descs, defaults = {}, {}
    for p in root.findall('command:parameters/command:parameter', NS):
        name = p.find('maml:name', NS).text.strip()
        descs[name] = [re.sub(r' xmlns:\w+="[^"]+"', '', x).strip() for x in paras(p.find('maml:description', NS))]
        d = p.find('dev:defaultValue', NS)
        defaults[name] = d.text if d is not None and d.text else None
    return descs, defaults


def pipeline(sets):
    kinds = []
    if any(s['PipeProp'] for s in sets): kinds.append('ByPropertyName')
    if any(s['Pipe'] for s in sets): kinds.append('ByValue')
    return f"True ({', '.join(kinds)})" if kinds else 'False'


def param_xml(p, sets, desc, default, indent, in_syntax):
    i = ' ' * indent
    required = 'true' if sets and all(s['Mandatory'] for s in sets) else 'false'
    positions = {s['Position'] for s in sets if s['Position'] is not None and s['Position'] >= 0}
    position = str(min(positions)) if positions else 'named'
    array = p['Type'].endswith('[]')
    aliases = ', '.join(p['Aliases']) if p['Aliases'] else 'none'
    out = [f'{i}<command:parameter required="{required}" variableLength="{str(array).lower()}" globbing="{str(p["Wildcards"]).lower()}" '
           f'pipelineInput="{pipeline(sets)}" position="{position}" aliases="{aliases}">',
           f'{i}  <maml:name>{p["Name"]}</maml:name>', f'{i}  <maml:description>']
    out += [f'{i}    {d}' for d in desc]
    out.append(f'{i}  </maml:description>')
    values = p.get('Enum') or p.get('ValidateSet')
    if in_syntax and values:
        out.append(f'{i}  <command:parameterValueGroup>')
        out += [f'{i}    <command:parameterValue required="false" command:variableLength="false">{esc(v)}</command:parameterValue>' for v in values]
        out.append(f'{i}  </command:parameterValueGroup>')
    if p['IsSwitch']:
        if not in_syntax: out.append(f'{i}  <command:parameterValue required="false" variableLength="false">SwitchParameter</command:parameterValue>')
    else:
        out.append(f'{i}  <command:parameterValue required="true" variableLength="{str(array).lower()}">{esc(p["ShortType"])}</command:parameterValue>')
    out += [f'{i}  <dev:type>', f'{i}    <maml:name>{esc(p["Type"])}</maml:name>', f'{i}    <maml:uri />', f'{i}  </dev:type>',
            f'{i}  <dev:defaultValue>{esc(default or ("False" if p["IsSwitch"] else "None"))}</dev:defaultValue>', f'{i}</command:parameter>']
    return out


def common_param(name, indent, in_syntax):
    text, aliases = COMMON[name]
    p = {'Name': name, 'Type': 'System.Management.Automation.SwitchParameter', 'ShortType': 'SwitchParameter', 'IsSwitch': True,
         'Aliases': aliases, 'Wildcards': False}
    return param_xml(p, [{'Mandatory': False, 'Position': None, 'Pipe': False, 'PipeProp': False}], [f'<maml:para>{esc(text)}</maml:para>'], 'False', indent, in_syntax)


def order(params, set_name):
    def key(p):
        s = next((x for x in p['Sets'] if x['Set'] in (set_name, '__AllParameterSets')), None)
        pos = s['Position'] if s and s['Position'] is not None and s['Position'] >= 0 else 99
        return (pos, 0 if s and s['Mandatory'] else 1, p['Name'])
    return sorted(params, key=key)


def main():
    meta = json.load(open(sys.argv[1]))
    extra = {}
    if '--descriptions' in sys.argv: extra = json.load(open(sys.argv[sys.argv.index('--descriptions') + 1]))
    text = open(HELP, encoding='utf-8').read()
    blocks = {re.search(r'<command:name>([^<]+)</command:name>', b).group(1).strip(): b
              for b in re.findall(r'  <command:command .*?</command:command>', text, re.S)}
    known = {}
    for b in blocks.values():
        for n, d in read_block(b)[0].items():
            if d and n not in COMMON: known.setdefault(n, d)
    for cmd in extra.values():
        for n, t in cmd.items(): known.setdefault(n, [f'<maml:para>{esc(t)}</maml:para>'])
    missing = []
    for c in meta:
        if c['Name'] not in blocks: missing.append(f"{c['Name']}: no help block"); continue
        block = blocks[c['Name']]
        descs, defaults = read_block(block)
        def desc(p):
            d = descs.get(p) or ([f'<maml:para>{esc(extra[c["Name"]][p])}</maml:para>'] if p in extra.get(c['Name'], {}) else None) or known.get(p)
            if not d: missing.append(f"{c['Name']} -{p}")
            return d or []
        params = {p['Name']: p for p in c['Params']}
        syntax = ['    <command:syntax>']
        for sp in c['SetParams']:
            syntax += ['      <command:syntaxItem>', f"        <maml:name>{c['Name']}</maml:name>"]
            for p in order([params[n] for n in sp['Params'] if n in params and not params[n].get('DontShow')], sp['Set']):
                sets = [s for s in p['Sets'] if s['Set'] in (sp['Set'], '__AllParameterSets')]
                syntax += param_xml(p, sets, desc(p['Name']), defaults.get(p['Name']), 8, True)
            if c['ShouldProcess']: syntax += common_param('WhatIf', 8, True) + common_param('Confirm', 8, True)
            syntax.append('      </command:syntaxItem>')
        syntax.append('    </command:syntax>')
        parameters = ['    <command:parameters>']
        for p in sorted(params.values(), key=lambda p: p['Name']):
            parameters += param_xml(p, p['Sets'], desc(p['Name']), defaults.get(p['Name']), 6, False)
        if c['ShouldProcess']: parameters += common_param('WhatIf', 6, False) + common_param('Confirm', 6, False)
        parameters.append('    </command:parameters>')
        new = re.sub(r'    <command:syntax>.*?</command:syntax>', lambda m: '\n'.join(syntax), block, flags=re.S)
        new = re.sub(r'    <command:parameters>.*?</command:parameters>', lambda m: '\n'.join(parameters), new, flags=re.S)
        text = text.replace(block, new)
    if missing:
        sys.exit('no description for: ' + '; '.join(missing))
    open(HELP, 'w', encoding='utf-8').write(text)


if __name__ == '__main__':
    main()
